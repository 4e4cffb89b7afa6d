import { z } from 'zod';
import { channel } from './channel.ts';

export interface AppInfo {
  version: string;
  shell: 'electron' | 'browser';
  dataDir: string;
  nodeVersion: string;
}

export interface Notice {
  level: 'info' | 'success' | 'warning' | 'error';
  message: string;
  details?: unknown;
}

export const appContract = {
  'app.info': channel<AppInfo>()(z.object({}).strict()),
  /** Cancel a long-running operation (import preview, bulk mail, export). */
  'app.cancel': channel<{ cancelled: boolean }>()(z.object({ operationId: z.string().max(64) }).strict()),
};

/** Progress of a long operation, pushed as an event. */
export interface Progress {
  operationId: string;
  /** Which kind of work: a screen follows only its own (an import preview never shows a mail send's bar). */
  operation: 'import' | 'push' | 'send' | 'export';
  phase: string;
  done: number;
  total?: number;
  ratePerSecond?: number;
  message?: string;
}

export interface AppEvents {
  'app.progress': Progress;
  'app.notice': Notice;
  /** Something in the store changed; pages refresh what they show. */
  'app.changed': { what: 'users' | 'groups' | 'directories' | 'outbox' | 'reports' | 'runs' };
}
