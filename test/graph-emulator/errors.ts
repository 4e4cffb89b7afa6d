// A Graph error raised anywhere in the emulator; the pipeline turns it into the documented error body.
export class GraphError extends Error {
  status: number;
  code: string;
  headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function badRequest(message: string, code = 'Request_BadRequest'): GraphError {
  return new GraphError(400, code, message);
}

export function unsupportedQuery(message = 'Unsupported Query.'): GraphError {
  return new GraphError(400, 'Request_UnsupportedQuery', message);
}

export function notFound(id: string): GraphError {
  return new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

export function forbidden(): GraphError {
  return new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}
