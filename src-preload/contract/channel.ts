// The building blocks of the bridge contract: a channel is a zod schema for
// its input plus the type of its result. Declared once, used by the preload
// (which channels exist), the main side (validation) and the renderer (types).
import type { z } from 'zod';
import type { ErrorCode } from '../errors.ts';

export interface Channel<I extends z.ZodType, O> {
  input: I;
  /** Type-only marker for the result; never read at run time. */
  output?: O;
}

export function channel<O>() {
  return <I extends z.ZodType>(input: I): Channel<I, O> => ({ input });
}

export interface BridgeError {
  /** Stable, machine-readable: validation, not_found, conflict, ... */
  code: ErrorCode;
  /** One sentence in the admin's words. */
  message: string;
  /** The server's own message, field errors, request ids. */
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: BridgeError };
