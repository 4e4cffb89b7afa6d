// A real SMTP receiver (smtp-server, in-process, free port) for the
// onboarding tests: STARTTLS or implicit TLS with a self-signed certificate,
// PLAIN/LOGIN authentication, every accepted message kept and decoded.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Did the client authenticate, and was the session encrypted? */
  user?: string;
  secure: boolean;
  subject: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Resolves when at least n mails have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /**
   * From now on, accept only n more mails; later ones wait after their data,
   * unanswered (the sender waits for "250"), until allowed. allow(Infinity) lifts it.
   */
  allow(n: number): void;
  /** Mails whose data arrived but that wait for allow(). */
  readonly waiting: number;
  stop(): Promise<void>;
}

export async function startSmtpReceiver(opts: {
  certPem: string;
  keyPem: string;
  /** Implicit TLS (port 465 style) instead of STARTTLS. */
  implicitTls?: boolean;
  user: string;
  password: string;
  /** Recipients refused at RCPT TO with "550 5.1.1 <address>: Recipient address rejected: mailbox unavailable". */
  refuse?: (address: string) => boolean;
}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  // Pausing: permits left (Infinity = not paused) and the mails held back.
  let permits = Infinity;
  const held: Array<() => void> = [];
  const admit = (accept: () => void) => {
    if (permits > 0) {
      permits--;
      accept();
    } else held.push(accept);
  };
  const server = new SMTPServer({
    secure: opts.implicitTls ?? false,
    key: opts.keyPem,
    cert: opts.certPem,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    disableReverseLookup: true,
    size: 10 * 1024 * 1024,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (opts.refuse?.(address.address))
        return cb(
          Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`), {
            responseCode: 550,
          }),
        );
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () =>
        admit(() => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = parseMime(raw);
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
            ...parsed,
            raw,
          });
          for (const w of waiters.splice(0)) w();
          cb();
        }),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  return {
    port,
    mails,
    async waitFor(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (mails.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} mails, got ${mails.length}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 250);
        });
      }
      return mails.slice(0, n);
    },
    allow(n) {
      permits = n;
      while (permits > 0 && held.length) {
        permits--;
        held.shift()!();
      }
    },
    get waiting() {
      return held.length;
    },
    stop: () => {
      permits = Infinity;
      for (const accept of held.splice(0)) accept();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Enough MIME for nodemailer's output: headers, multipart/alternative, QP and base64. */
export function parseMime(raw: string): { subject: string; text: string; html: string } {
  const { headers, body } = splitHeaders(raw);
  const subject = decodeWords(headers.get('subject') ?? '');
  const out = { subject, text: '', html: '' };
  walk(headers, body, out);
  return out;
}

function walk(headers: Map<string, string>, body: string, out: { text: string; html: string }): void {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const part of body.split(`--${boundary}`).slice(1)) {
      if (part.startsWith('--')) break;
      const p = splitHeaders(part.replace(/^\r?\n/, ''));
      walk(p.headers, p.body, out);
    }
    return;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding') ?? '7bit');
  if (/^text\/html/i.test(type)) out.html += decoded;
  else if (/^text\/plain/i.test(type)) out.text += decoded;
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string): string {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const soft = body.replace(/=\r?\n/g, '');
      const bytes: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        const c = soft[i]!;
        if (c === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
          bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(...Buffer.from(c, 'utf8'));
      }
      return Buffer.from(bytes).toString('utf8');
    }
    default:
      return body;
  }
}

function decodeWords(s: string): string {
  return s.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'),
  );
}
