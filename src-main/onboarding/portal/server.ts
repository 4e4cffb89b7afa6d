// The reset portal: a small HTTPS server (node:https) serving the page the
// activation link opens. It never logs a request body, keeps no password
// beyond the request that carries it, answers unknown, used and expired
// links the same way, binds its form to the page with a CSRF token, limits
// attempts per address and per token, and sends strict security headers.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { PasswordPolicy } from '../../../src-preload/contract/onboarding.ts';
import { checkPassword, MAX_PASSWORD_LENGTH } from '../policy.ts';
import { hashToken, looksLikeToken } from '../tokens.ts';
import { RateLimiter } from './rate-limit.ts';
import { PORTAL_CSS, RESET_JS } from './assets.ts';
import { donePage, formPage, invalidLinkPage, messagePage, notYetPage } from './pages.ts';
import { readBody } from '../../http/body.ts';
import { safeEqual } from '../../http/compare.ts';
import { cookieValues } from '../../http/cookies.ts';
import { COMMON_SECURITY_HEADERS, PORTAL_CSP } from '../../http/headers.ts';

export interface PortalAccount {
  userName: string;
  displayName: string;
}

export type SetPasswordOutcome =
  | { kind: 'done'; directories: number }
  /** The password is set, but the account cannot sign in yet (disabled somewhere): the page says so. */
  | { kind: 'cannotSignIn' }
  /** Unknown, used or expired: answered like any other invalid link. */
  | { kind: 'invalid' }
  /** A directory refused the password (its own, stricter rules): the user may try another. */
  | { kind: 'refused'; messages: string[] }
  /** Something else went wrong (unreachable directory...): try again later. */
  | { kind: 'failed'; messages: string[] };

/** What the portal asks of the app; everything keyed by the token's hash. */
export interface PortalBackend {
  account(tokenHash: string): PortalAccount | undefined;
  policy(): PasswordPolicy;
  setPassword(tokenHash: string, password: string, meta: { address: string }): Promise<SetPasswordOutcome>;
}

export interface PortalLimits {
  /** POSTs per address per window. */
  perAddress: number;
  /** POSTs per token per window (wrong confirmation and weak passwords count). */
  perToken: number;
  /** GETs of the reset page per address per window. */
  pageViewsPerAddress: number;
  windowMs: number;
}

export const defaultPortalLimits: PortalLimits = {
  perAddress: 30,
  perToken: 10,
  pageViewsPerAddress: 120,
  windowMs: 15 * 60_000,
};

export interface PortalOptions {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  backend: PortalBackend;
  limits?: Partial<PortalLimits>;
}

export interface RunningPortal {
  /** https://host:port as it listens. */
  url: string;
  address: AddressInfo;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': PORTAL_CSP,
  'Strict-Transport-Security': 'max-age=31536000',
  ...COMMON_SECURITY_HEADERS,
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const CSRF_COOKIE = '__Host-pd_csrf';
const MAX_BODY = 8 * 1024;

export async function startPortal(opts: PortalOptions): Promise<RunningPortal> {
  const limits = { ...defaultPortalLimits, ...opts.limits };
  const byAddress = new RateLimiter(limits.perAddress, limits.windowMs);
  const byToken = new RateLimiter(limits.perToken, limits.windowMs);
  const views = new RateLimiter(limits.pageViewsPerAddress, limits.windowMs);
  // Bound to this run of the portal: a restart makes open forms ask for a reload.
  const csrfKey = randomBytes(32);
  const inFlight = new Set<string>();

  const csrfFor = (nonce: string, tokenHash: string) =>
    createHmac('sha256', csrfKey).update(`${nonce}.${tokenHash}`).digest('base64url');

  const server: Server = createServer(
    { cert: opts.certPem, key: opts.keyPem, minVersion: 'TLSv1.2', requestTimeout: 30_000, headersTimeout: 15_000 },
    (req, res) => {
      handle(req, res).catch(() => {
        // Never log the request: it may carry a password. The backend reports what failed.
        if (!res.headersSent) send(res, 500, messagePage('Something went wrong', 'Try again in a few minutes.'));
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://portal.invalid');
    const address = req.socket.remoteAddress ?? 'unknown';
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (url.pathname === '/assets/portal.css')
        return send(res, 200, PORTAL_CSS, 'text/css; charset=utf-8', { 'Cache-Control': 'no-cache' });
      if (url.pathname === '/assets/reset.js')
        return send(res, 200, RESET_JS, 'text/javascript; charset=utf-8', { 'Cache-Control': 'no-cache' });
      if (url.pathname === '/favicon.ico') return send(res, 404, '', 'text/plain');
      if (url.pathname !== '/reset')
        return send(res, 404, messagePage('Not found', 'There is nothing at this address.'));
      if (!views.hit(address)) return tooMany(res, views.retryAfterMs(address));
      const token = url.searchParams.get('t');
      const tokenHash = looksLikeToken(token) ? hashToken(token) : undefined;
      const account = tokenHash ? opts.backend.account(tokenHash) : undefined;
      if (!tokenHash || !account) return send(res, 404, invalidLinkPage());
      const nonce = readCookie(req, CSRF_COOKIE) ?? randomBytes(24).toString('base64url');
      return send(
        res,
        200,
        formPage({ token: token!, csrf: csrfFor(nonce, tokenHash), ...account, policy: opts.backend.policy() }),
        undefined,
        { 'Set-Cookie': `${CSRF_COOKIE}=${nonce}; Path=/; Secure; HttpOnly; SameSite=Strict` },
      );
    }
    if (req.method === 'POST' && url.pathname === '/reset') return post(req, res, address);
    return send(res, 405, messagePage('Not allowed', 'This address does not accept that request.'), undefined, {
      Allow: 'GET, POST',
    });
  }

  async function post(req: IncomingMessage, res: ServerResponse, address: string): Promise<void> {
    if (!byAddress.hit(address)) {
      req.resume();
      return tooMany(res, byAddress.retryAfterMs(address));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      return send(res, 415, messagePage('Not accepted', 'Send the form from the page.'));
    }
    // A form posted from another site: browsers send Origin on POST.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && !sameOrigin(origin, req.headers.host)) {
      req.resume();
      return send(
        res,
        403,
        messagePage('Not accepted', 'Open the link from your mail and send the form from that page.'),
      );
    }
    const body = await readBody(req, MAX_BODY);
    if (body === undefined) return send(res, 413, messagePage('Not accepted', 'The form is too large.'));
    const form = new URLSearchParams(body);
    const token = form.get('t') ?? '';
    const tokenKey = createHash('sha256').update(`limit.${token}`).digest('base64url');
    if (!byToken.hit(tokenKey)) return tooMany(res, byToken.retryAfterMs(tokenKey));

    const tokenHash = looksLikeToken(token) ? hashToken(token) : undefined;
    const nonce = readCookie(req, CSRF_COOKIE);
    const csrf = form.get('csrf') ?? '';
    if (!tokenHash || !nonce || !csrf || !safeEqual(csrf, csrfFor(nonce, tokenHash)))
      return send(
        res,
        403,
        messagePage(
          'This form has expired',
          'Open the link from your mail again and choose your password on that page.',
        ),
      );

    const account = opts.backend.account(tokenHash);
    if (!account) return send(res, 404, invalidLinkPage());

    const password = form.get('password') ?? '';
    const confirm = form.get('confirm') ?? '';
    const policy = opts.backend.policy();
    const again = (status: number, title: string, items: string[]) =>
      send(res, status, formPage({ token, csrf, ...account, policy, errors: { title, items } }));

    const problems = checkPassword(password, policy, account);
    if (password.length > MAX_PASSWORD_LENGTH) problems.push('The password is too long.');
    if (password !== confirm) problems.push('The two passwords are not the same.');
    if (problems.length) return again(400, 'Your password does not meet the rules:', problems);

    if (inFlight.has(tokenHash))
      return again(409, 'Your password is being set already.', ['Wait a moment, then reload the page.']);
    inFlight.add(tokenHash);
    let outcome: SetPasswordOutcome;
    try {
      outcome = await opts.backend.setPassword(tokenHash, password, { address });
    } finally {
      inFlight.delete(tokenHash);
    }
    switch (outcome.kind) {
      case 'done':
        return send(res, 200, donePage(outcome.directories));
      case 'cannotSignIn':
        return send(res, 200, notYetPage());
      case 'invalid':
        return send(res, 404, invalidLinkPage());
      case 'refused':
        return again(422, 'The password was not accepted. Choose a different one:', outcome.messages);
      case 'failed':
        return again(503, 'Your password could not be set right now. Try again later:', outcome.messages);
    }
  }

  function tooMany(res: ServerResponse, retryMs: number) {
    const minutes = Math.max(1, Math.ceil(retryMs / 60_000));
    send(
      res,
      429,
      messagePage('Too many attempts', `Wait ${minutes} minute${minutes > 1 ? 's' : ''} and try again.`),
      undefined,
      { 'Retry-After': String(Math.ceil(retryMs / 1000)) },
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `https://${host}:${address.port}`,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/html; charset=utf-8',
  extra: Record<string, string> = {},
): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(buf.length), ...extra });
  res.end(res.req?.method === 'HEAD' ? undefined : buf);
}

/** The CSRF nonce cookie, when it has the shape the portal gives it. */
function readCookie(req: IncomingMessage, name: string): string | undefined {
  return cookieValues(req.headers.cookie, name).find((v) => /^[A-Za-z0-9_-]{16,64}$/.test(v));
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return !!host && new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
