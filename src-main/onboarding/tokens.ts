// Activation tokens: 256 random bits, sent in the link only; the store keeps
// the SHA-256 hash, so a copy of the data file cannot open any link.
import { createHash, randomBytes } from 'node:crypto';

/** 32 bytes = 256 bits of randomness (the floor is 128). */
export const TOKEN_BYTES = 32;

export interface IssuedToken {
  /** The secret that goes into the mail's link; never stored. */
  token: string;
  /** What the store keeps. */
  hash: string;
}

export function issueToken(): IssuedToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Cheap shape check before touching the store: base64url of TOKEN_BYTES bytes. */
export function looksLikeToken(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token);
}
