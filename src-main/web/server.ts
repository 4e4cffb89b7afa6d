// Browser mode: the same renderer build and the same bridge, served on
// loopback only. A random per-launch token in the printed URL is exchanged
// once for an HttpOnly SameSite=Strict cookie; Host and Origin are checked on
// every request so other sites and DNS rebinding cannot reach the bridge.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { App } from '../app.ts';
import { dispatch } from '../bridge/dispatch.ts';
import { eventNames } from '../../src-preload/contract.ts';
import { readBody } from '../http/body.ts';
import { safeEqual } from '../http/compare.ts';
import { cookieValues } from '../http/cookies.ts';
import { APP_CSP as CSP, COMMON_SECURITY_HEADERS } from '../http/headers.ts';
export { CSP };

const MAX_BODY = 1024 * 1024;
// Browsers share cookies across ports of one host: a name per port keeps two
// instances (or anything else on 127.0.0.1) from reading or replacing each other's session.
const cookieName = (port: number) => `pd_session_${port}`;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Extra routes other areas add (e.g. report downloads); paths start with /api/. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;

export interface WebServerOptions {
  app: App;
  rendererDir: string;
  port?: number;
  /** Fixed token for tests; random otherwise. */
  token?: string;
  routes?: Route[];
}

export interface WebServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  let launchToken: string | undefined = opts.token ?? randomBytes(24).toString('base64url');
  const session = randomBytes(32).toString('base64url');
  let port = 0;
  const sse = new Set<ServerResponse>();

  const unsubscribe = opts.app.events.subscribe((name, payload) => {
    const chunk = `event: message\ndata: ${JSON.stringify({ name, payload })}\n\n`;
    for (const res of sse) res.write(chunk);
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('[web] request failed:', err);
      if (!res.headersSent) send(res, 500, { error: 'internal' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, { error: 'wrong host' });
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://127.0.0.1:${port}` && origin !== `http://localhost:${port}`)
      return send(res, 403, { error: 'cross-origin request refused' });
    if (req.headers['sec-fetch-site'] === 'cross-site') return send(res, 403, { error: 'cross-site request refused' });

    const url = new URL(req.url ?? '/', `http://${host}`);
    const offered = url.searchParams.get('token');
    if (offered !== null && req.method === 'GET') {
      if (launchToken && safeEqual(offered, launchToken)) {
        launchToken = undefined; // one exchange only: the URL may sit in shell history
        res.setHeader('Set-Cookie', `${cookieName(port)}=${session}; HttpOnly; SameSite=Strict; Path=/`);
        res.writeHead(303, { Location: '/' });
        return void res.end();
      }
      return send(res, 401, {
        error: 'This link was already used or is wrong. Start Provision Desk again for a new one.',
      });
    }
    if (!hasSession(req))
      return send(res, 401, { error: 'Open the link that Provision Desk printed when it started.' });

    if (url.pathname === '/api/invoke') {
      if (req.method !== 'POST') return send(res, 405, { error: 'POST only' });
      // A same-origin fetch always carries Origin on POST; a form or script from elsewhere cannot forge it.
      if (origin === undefined) return send(res, 403, { error: 'Origin header required' });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
        return send(res, 415, { error: 'JSON only' });
      const body = await readBody(req, MAX_BODY);
      if (body === undefined) return send(res, 413, { error: 'request too large' });
      let parsed: { channel?: unknown; input?: unknown };
      try {
        parsed = JSON.parse(body);
      } catch {
        return send(res, 400, { ok: false, error: { code: 'validation', message: 'The request was not valid JSON.' } });
      }
      return send(res, 200, await dispatch(opts.app, parsed.channel, parsed.input));
    }
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(`event: hello\ndata: ${JSON.stringify({ events: eventNames })}\n\n`);
      sse.add(res);
      req.on('close', () => sse.delete(res));
      return;
    }
    for (const route of opts.routes ?? []) if (await route(req, res, url)) return;
    if (url.pathname.startsWith('/api/')) return send(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'GET only' });
    return serveStatic(res, opts.rendererDir, url.pathname);
  }

  function hasSession(req: IncomingMessage): boolean {
    return cookieValues(req.headers.cookie, cookieName(port)).some((v) => safeEqual(v, session));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/?token=${launchToken}`;

  return {
    url,
    port,
    server,
    async close() {
      unsubscribe();
      for (const res of sse) res.end();
      // Open pages keep event streams and keep-alive sockets: close them all,
      // or close() would wait for the admin to shut the browser tab.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) res.setHeader(name, value);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function serveStatic(res: ServerResponse, root: string, pathname: string): void {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  let file = join(root, rel);
  if (!file.startsWith(root + sep) && file !== root) return send(res, 403, { error: 'forbidden' });
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html'); // single-page app
  if (!existsSync(file)) return send(res, 500, { error: 'The renderer is not built: run npm run build.' });
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}
