// What is wrong with a server's certificate, told apart so the advice fits:
// a name mismatch (the certificate is for another host name: no CA helps), an
// untrusted issuer (paste that CA), a self-signed certificate (trust exactly
// it, or have one issued), an expired or not-yet-valid one (renew it, or check
// the clocks). Each message shows the certificate's subject, names and dates.
import type { ConnectorErrorCode } from '../connector.ts';

/** The certificate as read without trusting it (connection.ts probeCertificate). */
export interface ProbedCertificate {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  subjectAltName?: string;
  /** DNS names and IP addresses the certificate is for. */
  names: string[];
  /** Whether the host in the URL is one of them. */
  nameMatches: boolean;
  selfSigned: boolean;
  reason?: string;
}

export type CertificateProblem = 'name_mismatch' | 'untrusted_issuer' | 'self_signed' | 'expired' | 'not_yet_valid';

const NAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const SELF_SIGNED_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT']);

/** The problem behind Node's TLS error code; the probed certificate settles what the code leaves open. */
export function certificateProblem(nodeCode: string | undefined, cert?: ProbedCertificate): CertificateProblem {
  if (nodeCode === 'CERT_HAS_EXPIRED') return 'expired';
  if (nodeCode === 'CERT_NOT_YET_VALID') return 'not_yet_valid';
  if (nodeCode && NAME_CODES.has(nodeCode)) return 'name_mismatch';
  if ((nodeCode && SELF_SIGNED_CODES.has(nodeCode)) || cert?.selfSigned) return 'self_signed';
  return 'untrusted_issuer';
}

/** "DNS:a.example, IP Address:10.0.0.1" → ["a.example", "10.0.0.1"] */
export function certificateNames(subjectAltName: string | undefined, subject: string): string[] {
  const names = (subjectAltName ?? '')
    .split(',')
    .map((p) => p.trim())
    .map((p) => /^(?:DNS|IP Address):(.+)$/.exec(p)?.[1]?.trim())
    .filter((n): n is string => !!n);
  if (names.length > 0) return names;
  const cn = /(?:^|, )CN=([^,]+)/.exec(subject)?.[1];
  return cn ? [cn] : [];
}

const day = (openSslDate: string): string => {
  const d = new Date(openSslDate);
  return Number.isNaN(d.getTime()) ? openSslDate : d.toISOString().slice(0, 10);
};

const CA_FIELD = '"Trusted CA certificate (PEM)"';

export interface CertificateAdvice {
  code: ConnectorErrorCode;
  problem: CertificateProblem;
  message: string;
  hint: string;
}

export function certificateAdvice(
  problem: CertificateProblem,
  cert: ProbedCertificate | undefined,
  host: string,
  url: string,
): CertificateAdvice {
  const about = cert
    ? `(subject ${cert.subject}; for ${cert.names.join(', ') || 'no names'}; valid ${day(cert.validFrom)} to ${day(cert.validTo)})`
    : '';
  const otherName =
    cert && !cert.nameMatches && problem !== 'name_mismatch'
      ? ` It is also not issued for "${host}": connect with one of its names (${cert.names.join(', ')}).`
      : '';
  switch (problem) {
    case 'name_mismatch':
      return {
        code: 'certificate_name_mismatch',
        problem,
        message: `The server's certificate is issued for ${cert?.names.join(', ') || 'other names'}, not for "${host}" (${url}) ${about}.`,
        hint: `Use one of the certificate's names in Server URLs${cert?.names[0] ? ` (e.g. ${url.replace(host, cert.names[0])})` : ''}, or have the certificate reissued with "${host}" in it. A CA certificate does not help with a name mismatch.`,
      };
    case 'self_signed':
      return {
        code: 'certificate_self_signed',
        problem,
        message: `The server's certificate is self-signed (${url}) ${about}.${otherName}`,
        hint: `Paste that certificate itself into ${CA_FIELD} to trust exactly it, or have the server use a certificate from your CA.`,
      };
    case 'expired':
      return {
        code: 'certificate_expired',
        problem,
        message: `The server's certificate expired${cert ? ` on ${day(cert.validTo)}` : ''} (${url}) ${about}.${otherName}`,
        hint: 'Renew the certificate on the server; until then nothing can connect safely.',
      };
    case 'not_yet_valid':
      return {
        code: 'certificate_expired',
        problem,
        message: `The server's certificate is not valid yet${cert ? `: only from ${day(cert.validFrom)}` : ''} (${url}) ${about}.${otherName}`,
        hint: "Check this computer's clock and the server's.",
      };
    case 'untrusted_issuer':
      return {
        code: 'certificate_untrusted',
        problem,
        message: `The server's certificate is issued by ${cert?.issuer ?? 'a CA'}, which this computer does not trust (${url}) ${about}.${otherName}`,
        hint: `Paste the PEM of the CA that issued it${cert ? ` (${cert.issuer})` : ''} into ${CA_FIELD}.`,
      };
  }
}
