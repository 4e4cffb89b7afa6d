// Errors that cross to the admin: a stable code, a sentence in the admin's
// words, and the server's own message (or field errors) in details.
export class AppError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what} was not found.`, { id });

/** Turns anything thrown into the shape the bridge sends. */
export function toBridgeError(err: unknown): { code: string; message: string; details?: unknown } {
  if (err instanceof AppError) return { code: err.code, message: err.message, details: err.details };
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof err.code === 'string') {
    const e = err as { code: string; message: string; details?: unknown };
    return { code: e.code, message: e.message, details: e.details };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: 'Something went wrong inside Provision Desk.', details: message };
}
