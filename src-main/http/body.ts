// Reads a request body up to a size limit. Past the limit the rest is still
// drained (so the answer reaches the client) but not kept.
import type { IncomingMessage } from 'node:http';

/** The body as UTF-8 text, or undefined when it is longer than maxBytes. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
