import { z } from 'zod';
import { channel } from './channel.ts';
import { directoryConfigSchema, directorySecretsSchema, type DirectoryView } from '../directory.ts';
import { localId } from './users.ts';

/** One line of a Verify Credentials result. */
export interface VerifyStep {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  /** The precise failure in the admin's words, when not ok. */
  error?: { code: string; message: string; details?: unknown; hint?: string };
  steps: VerifyStep[];
  /** Facts read from the server: kind, naming contexts, TLS, controls, counts, tenant, roles. */
  facts: Record<string, string | number | boolean | string[]>;
  warnings: string[];
}

export const directoriesContract = {
  'directories.list': channel<DirectoryView[]>()(z.object({}).strict()),
  'directories.get': channel<DirectoryView>()(z.object({ id: localId }).strict()),
  'directories.save': channel<DirectoryView>()(
    z.object({ id: localId.optional(), config: directoryConfigSchema, secrets: directorySecretsSchema }).strict(),
  ),
  'directories.delete': channel<{ deleted: true }>()(z.object({ id: localId }).strict()),
  /** Verify a saved directory, or an unsaved form (config + secrets, falling back to the saved secret of id). */
  'directories.verify': channel<VerifyResult>()(
    z
      .object({ id: localId.optional(), config: directoryConfigSchema.optional(), secrets: directorySecretsSchema })
      .strict(),
  ),
  /** The kind's default attribute mapping and settings, for the form. */
  'directories.defaults': channel<{ userMapping: unknown[]; groupMapping: unknown[]; connection: unknown }>()(
    z.object({ kind: z.enum(['activeDirectory', 'ldap', 'entra']) }).strict(),
  ),
};
