// Errors that cross to the admin: a stable code, a sentence in the admin's
// words, and the server's own message (or field errors) in details.
import type { BridgeError } from '../src-preload/contract/channel.ts';
import type { ErrorCode } from '../src-preload/errors.ts';
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what} was not found.`, { id });

/** Turns anything thrown into the shape the bridge sends. */
export function toBridgeError(err: unknown): BridgeError {
  if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details };
  // A ConnectorError (or any error that names its own code and message).
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof err.code === 'string') {
    const e = err as BridgeError;
    return { code: e.code, message: e.message, details: e.details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: 'Something went wrong inside Provision Desk.', details: message };
}
