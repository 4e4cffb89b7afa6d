// The reset portal's HTTP behaviour over real HTTPS, with an in-memory
// backend: headers, the same answer for every invalid link, CSRF, policy,
// directory refusals, single use, and rate limits per token and per address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import {
  startPortal,
  type PortalBackend,
  type RunningPortal,
  type SetPasswordOutcome,
} from '../../src-main/onboarding/portal/server.ts';
import { issueToken } from '../../src-main/onboarding/tokens.ts';
import { passwordPolicySchema } from '../../src-preload/contract/onboarding.ts';
import { formFields, PortalBrowser } from '../onboarding/browser.ts';

interface Account {
  userName: string;
  displayName: string;
  used: boolean;
  expired: boolean;
  refuse?: string;
}

let portal: RunningPortal;
let ca: string;
const accounts = new Map<string, Account>();
const setCalls: Array<{ hash: string; password: string }> = [];

function addAccount(a: Partial<Account> & { userName: string }): string {
  const { token, hash } = issueToken();
  accounts.set(hash, { displayName: a.userName, used: false, expired: false, ...a });
  return token;
}

const backend: PortalBackend = {
  account: (hash) => {
    const a = accounts.get(hash);
    return a && !a.used && !a.expired ? { userName: a.userName, displayName: a.displayName } : undefined;
  },
  policy: () => passwordPolicySchema.parse({ minLength: 10, minClasses: 3 }),
  async setPassword(hash, password): Promise<SetPasswordOutcome> {
    const a = accounts.get(hash);
    if (!a || a.used || a.expired) return { kind: 'invalid' };
    setCalls.push({ hash, password });
    if (a.refuse) return { kind: 'refused', messages: [a.refuse] };
    a.used = true;
    return { kind: 'done', directories: 2 };
  },
};

beforeAll(async () => {
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  ca = pair.certPem;
  portal = await startPortal({
    host: '127.0.0.1',
    port: 0,
    ...pair,
    backend,
    limits: { perToken: 4, perAddress: 6, pageViewsPerAddress: 1000, windowMs: 60 * 60_000 },
  });
});
afterAll(() => portal?.close());

let nextAddress = 10;
/** Each test visits from its own loopback address, so per-address limits don't leak between tests. */
const browser = () => new PortalBrowser(ca, { localAddress: `127.0.0.${nextAddress++}` });

describe('reset portal', () => {
  it('serves the page for a valid link with strict security headers', async () => {
    const token = addAccount({ userName: 'ada', displayName: 'Ada <Lovelace>' });
    const b = browser();
    const res = await b.get(`${portal.url}/reset?t=${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('Ada &#60;Lovelace&#62;');
    expect(res.body).toContain('<script src="/assets/reset.js"></script>');
    expect(res.body).not.toMatch(/<script>|style="/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(String(res.headers['set-cookie'])).toMatch(
      /__Host-pd_csrf=[\w-]+; Path=\/; Secure; HttpOnly; SameSite=Strict/,
    );
    const js = await b.get(`${portal.url}/assets/reset.js`);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
  });

  it('answers unknown, used, expired and malformed links identically', async () => {
    const used = addAccount({ userName: 'used', used: true });
    const expired = addAccount({ userName: 'expired', expired: true });
    const unknown = issueToken().token;
    const b = browser();
    const answers = await Promise.all(
      [used, expired, unknown, 'not-a-token', ''].map((t) => b.get(`${portal.url}/reset?t=${t}`)),
    );
    for (const a of answers) {
      expect(a.status).toBe(404);
      expect(a.body).toBe(answers[0]!.body);
      expect(a.headers['set-cookie']).toBeUndefined();
    }
    expect(answers[0]!.body).toContain('This link cannot be used');
  });

  it('sets the password through the form, once', async () => {
    const token = addAccount({ userName: 'grace' });
    const b = browser();
    const page = await b.get(`${portal.url}/reset?t=${token}`);
    const f = formFields(page.body)!;
    const done = await b.post(`${portal.url}${f.action}`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your password is set');
    expect(done.body).not.toContain('Correct-Horse-7');
    expect(setCalls.at(-1)?.password).toBe('Correct-Horse-7');
    const again = await b.post(`${portal.url}${f.action}`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Other-Horse-8',
      confirm: 'Other-Horse-8',
    });
    expect(again.status).toBe(404);
    expect(again.body).toContain('This link cannot be used');
  });

  it('refuses a post without the CSRF token, with a forged one, or from another origin', async () => {
    const token = addAccount({ userName: 'csrf-user' });
    const b = browser();
    const f = formFields((await b.get(`${portal.url}/reset?t=${token}`)).body)!;
    const calls = setCalls.length;
    const noCsrf = await b.post(`${portal.url}/reset`, {
      t: f.t,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(noCsrf.status).toBe(403);
    const forged = await b.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(forged.status).toBe(403);
    // Another browser (no cookie) replaying this page's CSRF value.
    const other = browser();
    const replay = await other.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(replay.status).toBe(403);
    const crossSite = await b.post(
      `${portal.url}/reset`,
      { t: f.t, csrf: f.csrf, password: 'Correct-Horse-7', confirm: 'Correct-Horse-7' },
      { origin: 'https://evil.example' },
    );
    expect(crossSite.status).toBe(403);
    expect(setCalls.length).toBe(calls);
  });

  it("refuses weak or mismatched passwords and shows the directory's own refusal", async () => {
    const token = addAccount({
      userName: 'weakling',
      displayName: 'Weak Ling',
      refuse: 'corp (Active Directory): the password does not meet the domain policy (history)',
    });
    const b = browser();
    const f = formFields((await b.get(`${portal.url}/reset?t=${token}`)).body)!;
    const calls = setCalls.length;
    const weak = await b.post(`${portal.url}/reset`, { t: f.t, csrf: f.csrf, password: 'short', confirm: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('Use at least 10 characters.');
    const named = await b.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Weakling-2024!',
      confirm: 'Weakling-2024!',
    });
    expect(named.status).toBe(400);
    expect(named.body).toContain('Do not use your user name');
    const mismatch = await b.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-8',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords are not the same.');
    expect(setCalls.length).toBe(calls);
    const refused = await b.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('the password does not meet the domain policy (history)');
    expect(refused.body).not.toContain('Correct-Horse-7');
    // The form is still there to try again.
    expect(formFields(refused.body)?.csrf).toBe(f.csrf);
  });

  it('limits attempts per token', async () => {
    const token = addAccount({ userName: 'limited' });
    const b = browser();
    const f = formFields((await b.get(`${portal.url}/reset?t=${token}`)).body)!;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await b.post(`${portal.url}/reset`, { t: f.t, csrf: f.csrf, password: 'weak', confirm: 'weak' })).status,
      );
    expect(statuses).toEqual([400, 400, 400, 400]);
    // Even a good password from a fresh address is refused now: the limit is the token's.
    const c = browser();
    const f2 = formFields((await c.get(`${portal.url}/reset?t=${token}`)).body)!;
    const blocked = await c.post(`${portal.url}/reset`, {
      t: f2.t,
      csrf: f2.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(accounts.get([...accounts].find(([, a]) => a.userName === 'limited')![0])!.used).toBe(false);
  });

  it('limits attempts per address, and only for that address', async () => {
    const b = browser();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await b.post(`${portal.url}/reset`, { t: issueToken().token, csrf: 'x', password: 'a', confirm: 'a' })).status,
      );
    expect(statuses.slice(0, 6)).toEqual([403, 403, 403, 403, 403, 403]);
    expect(statuses[6]).toBe(429);
    const token = addAccount({ userName: 'neighbour' });
    const other = browser();
    const f = formFields((await other.get(`${portal.url}/reset?t=${token}`)).body)!;
    const ok = await other.post(`${portal.url}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'Correct-Horse-7',
      confirm: 'Correct-Horse-7',
    });
    expect(ok.status).toBe(200);
  });

  it('accepts only form posts on /reset', async () => {
    const b = browser();
    const json = await new Promise<number>((resolve, reject) => {
      import('node:https').then(({ request }) => {
        const u = new URL(`${portal.url}/reset`);
        const req = request(
          {
            method: 'POST',
            host: u.hostname,
            port: u.port,
            path: u.pathname,
            ca,
            headers: { 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{}');
      }, reject);
    });
    expect(json).toBe(415);
    expect((await b.get(`${portal.url}/`)).status).toBe(404);
  });
});
