// The password-policy control (draft-behera-ldap-password-policy, OpenLDAP's
// ppolicy overlay, OID 1.3.6.1.4.1.42.2.27.8.5.1). Sent with a bind or a
// password change, it makes the server say WHY: a locked account, an expired
// password or one that must be changed after a reset all answer a bind with
// plain invalidCredentials (or succeed restricted) without it.
//
// The response value is decoded here with the project's tiny BER reader (ber.ts):
//   PasswordPolicyResponseValue ::= SEQUENCE {
//     warning [0] CHOICE { timeBeforeExpiration [0] INTEGER,
//                          graceAuthNsRemaining [1] INTEGER } OPTIONAL,
//     error   [1] ENUMERATED { passwordExpired(0), accountLocked(1),
//                   changeAfterReset(2), passwordModNotAllowed(3),
//                   mustSupplyOldPassword(4), insufficientPasswordQuality(5),
//                   passwordTooShort(6), passwordTooYoung(7),
//                   passwordInHistory(8) } OPTIONAL }
// (implicit tags: the warning is a0 holding 80/81, the error is 81).
// ldapts 9.2 ships a PasswordPolicyControl too; this one keeps the decoding
// (and its tests on bytes captured from slapd) in the project's hands.
import { Control, type BerReader } from 'ldapts';
import type { ConnectorErrorCode } from '../connector.ts';
import { tlvs as berTlvs } from './ber.ts';

export const PPOLICY_OID = '1.3.6.1.4.1.42.2.27.8.5.1';

export interface PpolicyResponse {
  /** Seconds until the password expires. */
  timeBeforeExpiration?: number;
  /** Logons left after the password expired. */
  graceAuthNsRemaining?: number;
  /** The reason an operation was refused or restricted (see {@link ppolicyErrors}). */
  error?: number;
}

export class PpolicyDecodeError extends Error {
  constructor(message: string) {
    super(`Malformed password policy response: ${message}`);
    this.name = 'PpolicyDecodeError';
  }
}

/** The TLVs of a response value; malformed bytes throw PpolicyDecodeError. */
const tlvs = (buf: Uint8Array) => berTlvs(buf, PpolicyDecodeError);

/** A non-negative INTEGER / ENUMERATED content (big-endian two's complement). */
function uint(v: Uint8Array): number {
  if (v.length === 0 || v.length > 6) throw new PpolicyDecodeError('integer of unexpected size');
  if (v[0]! & 0x80) throw new PpolicyDecodeError('negative integer');
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/** Decodes the control's value (the bytes inside its OCTET STRING). Unknown elements are skipped. */
export function decodePpolicyResponse(value: Uint8Array): PpolicyResponse {
  const outer = [...tlvs(value)];
  if (outer.length !== 1 || outer[0]!.tag !== 0x30) throw new PpolicyDecodeError('not one SEQUENCE');
  const out: PpolicyResponse = {};
  for (const el of tlvs(outer[0]!.value)) {
    if (el.tag === 0xa0) {
      const [w] = [...tlvs(el.value)];
      if (w?.tag === 0x80) out.timeBeforeExpiration = uint(w.value);
      else if (w?.tag === 0x81) out.graceAuthNsRemaining = uint(w.value);
      else throw new PpolicyDecodeError('unknown warning');
    } else if (el.tag === 0x81) {
      out.error = uint(el.value);
    }
  }
  return out;
}

/** The error values in the admin's words, with the code the engine acts on. */
export const ppolicyErrors: Record<number, { name: string; code: ConnectorErrorCode; meaning: string }> = {
  0: { name: 'passwordExpired', code: 'password_expired', meaning: 'the password has expired' },
  1: {
    name: 'accountLocked',
    code: 'account_locked',
    meaning: 'the account is locked (too many failed logons, or locked by an administrator)',
  },
  2: {
    name: 'changeAfterReset',
    code: 'password_must_change',
    meaning: 'the password was reset and must be changed before the account can be used',
  },
  3: {
    name: 'passwordModNotAllowed',
    code: 'password_policy',
    meaning: 'the password policy does not allow this account to change the password',
  },
  4: {
    name: 'mustSupplyOldPassword',
    code: 'password_policy',
    meaning: 'the current password must be given to change it',
  },
  5: {
    name: 'insufficientPasswordQuality',
    code: 'password_policy',
    meaning: "the password does not meet the policy's quality rules",
  },
  6: { name: 'passwordTooShort', code: 'password_policy', meaning: 'the password is shorter than the policy allows' },
  7: {
    name: 'passwordTooYoung',
    code: 'password_policy',
    meaning: 'the password was changed too recently to be changed again',
  },
  8: { name: 'passwordInHistory', code: 'password_policy', meaning: 'the password was used before (password history)' },
};

/**
 * The request control (no value), sent non-critical so a server without
 * ppolicy ignores it. After the operation settles — also when it threw —
 * `response` holds what the server said, if it said anything.
 */
export class PasswordPolicyRequest extends Control {
  response?: PpolicyResponse;
  /** The raw response value, for the details of an error. */
  raw?: string;

  constructor() {
    super(PPOLICY_OID, { critical: false });
  }

  protected override writeControl(): void {
    // A request carries no value; a reused instance starts clean.
    this.response = undefined;
    this.raw = undefined;
  }

  protected override parseControl(reader: BerReader): void {
    const bytes = reader.remainingBuffer;
    this.raw = bytes.toString('hex');
    try {
      this.response = decodePpolicyResponse(bytes);
    } catch {
      this.response = undefined; // never let a strange answer break the operation itself
    }
  }
}

/** "3 days", "5 hours", "12 minutes": how long until a password expires. */
export function humanDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
