// Opening a bound LDAP session: the configured URLs tried in order (the next
// one only when a server is unreachable or does not answer), ldaps:// or
// ldap:// + StartTLS, the admin's CA certificate added to the system ones,
// certificate checking on unless the admin switched it off (verify() shows
// that as a warning), connect and operation timeouts. A certificate that is
// not trusted is named (subject, issuer, validity, fingerprint) by a second,
// credential-free handshake made only to read it.
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import type { Writable } from 'node:stream';
import { AddRequest, Client } from 'ldapts';
import {
  certificateAdvice,
  certificateNames,
  certificateProblem,
  type ProbedCertificate,
} from './certificate-advice.ts';
import { ConnectorError } from '../connector.ts';
import { toConnectorError } from './errors.ts';
import type { LdapSettings } from './settings.ts';

export type TlsMode = 'ldaps' | 'starttls' | 'none';

export interface LdapSession {
  client: Client;
  url: string;
  tls: TlsMode;
  /** TLS protocol and cipher when encrypted. */
  tlsInfo?: { protocol: string | null; cipher: string; authorized: boolean; peerSubject?: string };
  close(): Promise<void>;
}

export interface OpenOptions {
  signal?: AbortSignal;
  /** Bind with these instead of the configured bind DN (e.g. to test a user's password). */
  bindDn?: string;
  bindPassword?: string;
  /** Skip the bind (rootDSE reads). */
  anonymous?: boolean;
  /** Called for each URL tried (verify's steps). */
  onAttempt?: (url: string, error?: ConnectorError) => void;
}

export type CertificateFacts = ProbedCertificate;

function hostPort(url: string): { host: string; port: number; secure: boolean } {
  const u = new URL(url);
  const secure = u.protocol.toLowerCase() === 'ldaps:';
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || 'localhost', port: u.port ? Number(u.port) : secure ? 636 : 389, secure };
}

/** TLS options for a URL: CA (system roots + admin's PEM), verification, SNI. */
export function tlsOptionsFor(s: LdapSettings, host: string): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { host, minVersion: 'TLSv1.2' };
  if (!isIP(host)) opts.servername = host;
  if (s.conn.caCertPem?.trim()) opts.ca = [...tls.rootCertificates, s.conn.caCertPem];
  if (!s.conn.verifyCertificate) {
    opts.rejectUnauthorized = false;
    opts.checkServerIdentity = () => undefined;
  } else {
    opts.rejectUnauthorized = true;
  }
  return opts;
}

const nameOf = (n: unknown): string => {
  if (!n || typeof n !== 'object') return '';
  return Object.entries(n as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
};

function certFacts(sock: tls.TLSSocket, host: string): CertificateFacts | undefined {
  const c = sock.getPeerCertificate();
  if (!c || Object.keys(c).length === 0) return undefined;
  const subject = nameOf(c.subject);
  const issuer = nameOf(c.issuer);
  return {
    subject,
    issuer,
    validFrom: c.valid_from,
    validTo: c.valid_to,
    fingerprint256: c.fingerprint256,
    subjectAltName: c.subjectaltname,
    names: certificateNames(c.subjectaltname, subject),
    nameMatches: tls.checkServerIdentity(host, c) === undefined,
    selfSigned: subject === issuer,
    reason: sock.authorizationError ? String(sock.authorizationError) : undefined,
  };
}

/**
 * Reads the server's certificate without trusting it and without sending
 * any credential, to name it in a "certificate not trusted" error.
 */
export async function probeCertificate(s: LdapSettings, url: string): Promise<CertificateFacts | undefined> {
  const { host, port, secure } = hostPort(url);
  const base: tls.ConnectionOptions = { ...tlsOptionsFor(s, host), rejectUnauthorized: false };
  delete base.checkServerIdentity;
  try {
    if (secure) {
      return await new Promise<CertificateFacts | undefined>((resolve) => {
        const sock = tls.connect({ ...base, port, host });
        const done = (v: CertificateFacts | undefined) => {
          sock.destroy();
          resolve(v);
        };
        sock.setTimeout(s.conn.connectTimeoutMs, () => done(undefined));
        sock.once('secureConnect', () => done(certFacts(sock, host)));
        sock.once('error', () => done(undefined));
      });
    }
    let captured: tls.TLSSocket | undefined;
    const client = new Client({
      url,
      connectTimeout: s.conn.connectTimeoutMs,
      timeout: s.conn.timeoutMs,
      createSecureConnection: ((opts: tls.ConnectionOptions) => {
        captured = tls.connect(opts);
        return captured;
      }) as typeof tls.connect,
    });
    try {
      await client.startTLS({ ...base });
      return captured ? certFacts(captured, host) : undefined;
    } finally {
      await client.unbind().catch(() => {});
    }
  } catch {
    return undefined;
  }
}

function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw new ConnectorError('cancelled', 'The operation was cancelled.');
}

async function openOne(
  s: LdapSettings,
  url: string,
  password: string | undefined,
  o: OpenOptions,
): Promise<LdapSession> {
  const { host, secure } = hostPort(url);
  const tlsOpts = tlsOptionsFor(s, host);
  let captured: tls.TLSSocket | undefined;
  const client = new Client({
    url,
    timeout: s.conn.timeoutMs,
    connectTimeout: s.conn.connectTimeoutMs,
    tlsOptions: secure ? tlsOpts : undefined,
    strictDN: false,
    // Used by ldapts for the StartTLS upgrade only (ldap:// URLs): keep the socket for facts.
    createSecureConnection: secure
      ? undefined
      : (((opts: tls.ConnectionOptions) => {
          captured = tls.connect(opts);
          return captured;
        }) as typeof tls.connect),
  });
  let mode: TlsMode = secure ? 'ldaps' : 'none';
  const close = async () => {
    await client.unbind().catch(() => {});
  };
  try {
    if (!secure && s.conn.startTls) {
      await client.startTLS({ ...tlsOpts });
      mode = 'starttls';
    }
    abortIf(o.signal);
    if (!o.anonymous) {
      const dn = o.bindDn ?? s.conn.bindDn;
      const pw = o.bindDn ? (o.bindPassword ?? '') : (password ?? '');
      if (!pw) {
        throw new ConnectorError(
          'invalid_credentials',
          'No bind password is stored for this directory: enter it and save.',
          {
            details: { url, action: 'bind' },
            transient: false,
          },
        );
      }
      await client.bind(dn, pw);
    } else if (mode !== 'starttls') {
      // Without a bind nothing is sent yet (StartTLS aside): make sure the server is there, so an
      // unreachable one fails here and the next URL is tried (verify opens unbound, then binds).
      await client.search('', { scope: 'base', attributes: ['1.1'], filter: '(objectClass=*)', timeLimit: 0 });
    }
  } catch (e) {
    await close();
    const err = toConnectorError(e, { action: o.anonymous ? 'connect' : 'bind', url });
    if (err.code === 'certificate_untrusted' || err.code === 'certificate_expired') {
      // Read the certificate (without trusting it, sending nothing) to tell the problems apart.
      const cert = await probeCertificate(s, url);
      const errno = (err.details as { errno?: string } | undefined)?.errno;
      const advice = certificateAdvice(certificateProblem(errno, cert), cert, host, url);
      throw new ConnectorError(advice.code, advice.message, {
        details: { ...(err.details as object), problem: advice.problem, advice: advice.hint, certificate: cert },
        cause: e,
        transient: false,
      });
    }
    throw err;
  }
  const sock = (client as unknown as { socket?: tls.TLSSocket }).socket ?? captured;
  coalesceWrites((client as unknown as { socket?: Writable }).socket);
  const tlsInfo =
    mode !== 'none' && sock && typeof sock.getProtocol === 'function'
      ? {
          protocol: sock.getProtocol(),
          cipher: sock.getCipher()?.name ?? '',
          authorized: sock.authorized,
          peerSubject: nameOf(sock.getPeerCertificate()?.subject),
        }
      : undefined;
  return { client, url, tls: mode, tlsInfo, close };
}

/**
 * ldapts writes the JSON of every request into its debug log (NODE_DEBUG=ldapts) and builds that
 * text even while the log is off: a copy of every attribute per request, a noticeable share of
 * the CPU of a large provisioning run. With the log on it would also print attribute values,
 * passwords included (unicodePwd modifies, Password Modify requests). Requests and responses show
 * their type, message id and DN there instead.
 */
function shortMessageJson(): void {
  const message = Object.getPrototypeOf(AddRequest.prototype) as object;
  if (Object.prototype.hasOwnProperty.call(message, 'toJSON')) return;
  Object.defineProperty(message, 'toJSON', {
    configurable: true,
    writable: true,
    value(this: { messageId?: number; dn?: unknown; baseDN?: unknown; name?: unknown }) {
      const dn = this.dn ?? this.baseDN ?? this.name;
      return {
        messageId: this.messageId,
        type: this.constructor.name,
        ...(dn !== undefined ? { dn: String(dn) } : {}),
      };
    },
  });
}
shortMessageJson();

/**
 * Requests sent in the same turn of the event loop leave in one write: ldapts
 * writes each message on its own, and a pipelined batch (bulk creates: tens
 * of adds at once) would otherwise cost a system call — and a wake-up of the
 * server — per message. The socket is corked at the first write of a turn and
 * uncorked once that turn's promise callbacks have run.
 */
export function coalesceWrites(sock: Writable | undefined): void {
  if (!sock || typeof sock.cork !== 'function') return;
  const write = sock.write.bind(sock) as (...a: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = ((...a: unknown[]) => {
    if (!corked && !sock.writableCorked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write(...a);
  }) as Writable['write'];
}

/** Opens and binds a session on the first configured server that answers. */
export async function openSession(
  s: LdapSettings,
  password: string | undefined,
  o: OpenOptions = {},
): Promise<LdapSession> {
  const attempts: Array<{ url: string; code: string; message: string }> = [];
  let last: ConnectorError | undefined;
  for (const url of s.conn.urls) {
    abortIf(o.signal);
    try {
      const session = await openOne(s, url, password, o);
      o.onAttempt?.(url);
      return session;
    } catch (e) {
      const err = toConnectorError(e, { url });
      o.onAttempt?.(url, err);
      attempts.push({ url, code: err.code, message: err.message });
      last = err;
      // Only an unreachable or silent server moves on to the next URL.
      if (err.code !== 'unreachable' && err.code !== 'timeout') throw err;
    }
  }
  if (last && attempts.length > 1) {
    throw new ConnectorError(
      last.code,
      `None of the ${attempts.length} servers could be reached: ${attempts.map((a) => `${a.url}: ${a.message}`).join(' ')}`,
      {
        details: { attempts, ...(last.details as object) },
        cause: last,
      },
    );
  }
  throw last ?? new ConnectorError('unreachable', 'No server URL is configured.');
}
