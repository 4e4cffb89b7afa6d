// A small HTTPS client that behaves like a browser towards the reset portal:
// keeps cookies, sends Origin on POST, posts forms url-encoded. It can bind to
// another loopback address (127.0.0.x) to act as a different visitor.
import { request } from 'node:https';

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class PortalBrowser {
  readonly cookies = new Map<string, string>();
  private readonly ca: string;
  private readonly localAddress?: string;
  constructor(ca: string, opts: { localAddress?: string } = {}) {
    this.ca = ca;
    this.localAddress = opts.localAddress;
  }

  get(url: string): Promise<PageResponse> {
    return this.send('GET', url);
  }

  /** Submits fields as the page's form would (same origin, url-encoded). */
  post(url: string, fields: Record<string, string>, opts: { origin?: string | null } = {}): Promise<PageResponse> {
    const body = new URLSearchParams(fields).toString();
    const origin = opts.origin === undefined ? new URL(url).origin : opts.origin;
    return this.send('POST', url, body, {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(origin ? { Origin: origin } : {}),
    });
  }

  private send(
    method: string,
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<PageResponse> {
    const u = new URL(url);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          method,
          host: u.hostname.replace(/^\[|\]$/g, ''),
          port: u.port,
          path: `${u.pathname}${u.search}`,
          ca: this.ca,
          localAddress: this.localAddress,
          agent: false,
          headers: {
            ...headers,
            ...(cookie ? { Cookie: cookie } : {}),
            ...(body !== undefined ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
            'User-Agent': 'Mozilla/5.0 (test browser)',
            Accept: 'text/html',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            for (const c of [res.headers['set-cookie'] ?? []].flat()) {
              const [pair] = c.split(';');
              const [k, v] = pair!.split(/=(.*)/s) as [string, string];
              this.cookies.set(k.trim(), v);
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The hidden fields and action of the reset form in a page. */
export function formFields(html: string): { action: string; t: string; csrf: string } | undefined {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const t = /name="t" value="([^"]*)"/.exec(html)?.[1];
  const csrf = /name="csrf" value="([^"]*)"/.exec(html)?.[1];
  return action && t !== undefined && csrf !== undefined ? { action, t, csrf } : undefined;
}

/** The links in a mail's text part that open the portal. */
export function resetLinks(text: string): string[] {
  return [...text.matchAll(/https:\/\/\S+\/reset\?t=[A-Za-z0-9_-]+/g)].map((m) => m[0]);
}
