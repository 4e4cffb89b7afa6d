// Minimal JWT (JWS compact) signing and verification for the emulator: RS256 and PS256 only,
// by hand with node:crypto, no dependencies.
import { createHash, createPublicKey, sign, verify, constants, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export function b64urlJson(value: unknown): string {
  return b64url(JSON.stringify(value));
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Splits and decodes a compact JWS; returns undefined when it is not well formed. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const [h, p, s, ...rest] = token.split('.');
  if (h === undefined || p === undefined || s === undefined || rest.length > 0) return undefined;
  if (![h, p, s].every((part) => /^[A-Za-z0-9_-]*$/.test(part))) return undefined;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return undefined;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject,
): string {
  const alg = header.alg;
  const input = `${b64urlJson(header)}.${b64urlJson(payload)}`;
  let sig: Buffer;
  if (alg === 'RS256') {
    sig = sign('sha256', Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
  } else if (alg === 'PS256') {
    sig = sign('sha256', Buffer.from(input), {
      key: privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  } else {
    throw new Error(`unsupported alg ${String(alg)}`);
  }
  return `${input}.${b64url(sig)}`;
}

/** Verifies the signature of a decoded JWS with an RSA public key; alg RS256 or PS256. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const alg = jwt.header.alg;
  try {
    if (alg === 'RS256') {
      return verify(
        'sha256',
        Buffer.from(jwt.signingInput),
        { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
        jwt.signature,
      );
    }
    if (alg === 'PS256') {
      return verify(
        'sha256',
        Buffer.from(jwt.signingInput),
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        jwt.signature,
      );
    }
  } catch {
    return false;
  }
  return false;
}

export interface RegisteredCertificate {
  pem: string;
  publicKey: KeyObject;
  /** base64url SHA-1 of the DER: the `x5t` header value */
  x5t: string;
  /** base64url SHA-256 of the DER: the `x5t#S256` header value */
  x5tS256: string;
  /** upper-case hex SHA-1 thumbprint, as the Entra portal shows it */
  thumbprintHex: string;
  validFrom: Date;
  validTo: Date;
}

/** Parses every certificate in a PEM bundle. */
export function parseCertificates(pem: string): RegisteredCertificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('certificatePem holds no PEM certificate');
  return blocks.map((block) => {
    const cert = new X509Certificate(block);
    const der = cert.raw;
    return {
      pem: block,
      publicKey: createPublicKey(block),
      x5t: b64url(createHash('sha1').update(der).digest()),
      x5tS256: b64url(createHash('sha256').update(der).digest()),
      thumbprintHex: createHash('sha1').update(der).digest('hex').toUpperCase(),
      validFrom: new Date(cert.validFrom),
      validTo: new Date(cert.validTo),
    };
  });
}
