// Can the people who get an activation mail open its link? Only if the
// portal's public address is one their devices can reach, and that address
// answers with the certificate the portal serves (not another service, not
// nothing). Checked before every activation send: mails with dead links
// cannot be called back.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';

/** The IPv4 address inside an IPv4-mapped IPv6 one (URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1). */
function mappedV4(host: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return undefined;
  const [hi, lo] = [parseInt(m[1]!, 16), parseInt(m[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why links to this address only work on the portal's own machine or segment, or undefined when they can work elsewhere. */
export function localOnlyReason(publicBase: string): string | undefined {
  const host = new URL(publicBase).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a name only this computer resolves to itself';
  const v4 = isIP(host) === 4 ? host : mappedV4(host);
  if (v4) {
    const [a, b] = v4.split('.').map(Number);
    if (a === 127) return 'a loopback address: only this computer can open it';
    if (a === 0) return 'not an address anybody can open';
    if (a === 169 && b === 254)
      return 'a link-local address: only devices on the same network segment, if any, can open it';
    return undefined;
  }
  if (isIP(host) === 6) {
    if (host === '::1') return 'a loopback address: only this computer can open it';
    if (host === '::') return 'not an address anybody can open';
    if (/^fe[89ab]/.test(host))
      return 'a link-local address: only devices on the same network segment, if any, can open it';
  }
  return undefined;
}

export interface Mismatch {
  /** False: nothing answered (portal not running, or the address leads nowhere). */
  answered: boolean;
  reason: string;
}

/** Connects to the public address as a browser would and compares its certificate with the portal's; undefined when they match. */
export function certificateMismatch(
  publicBase: string,
  certPem: string,
  timeoutMs = 5_000,
): Promise<Mismatch | undefined> {
  const url = new URL(publicBase);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const expected = new X509Certificate(certPem).fingerprint256;
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      // Only the certificate is compared here; whether browsers trust it is said elsewhere (portal warnings).
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const done = (m: Mismatch | undefined) => {
      socket.destroy();
      resolve(m);
    };
    socket.once('secureConnect', () => {
      const got = socket.getPeerX509Certificate();
      done(
        got?.fingerprint256 === expected
          ? undefined
          : { answered: true, reason: 'it answers with another certificate than the portal serves' },
      );
    });
    socket.once('timeout', () =>
      done({ answered: false, reason: `nothing answered within ${timeoutMs / 1000} seconds` }),
    );
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done({
        answered: false,
        reason: e.code === 'ECONNREFUSED' ? 'nothing answers there' : `it cannot be reached (${e.message})`,
      }),
    );
  });
}
