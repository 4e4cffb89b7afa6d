// Protected Active Directory objects: the ones AD itself guards (adminCount=1,
// set on privileged accounts and groups and their members; isCriticalSystemObject)
// and the built-in accounts and groups, known by their well-known SID whatever
// they are named (Domain Admins is RID 512 in every domain, Administrators is
// S-1-5-32-544). Provision Desk never links, renames, sets a password on,
// changes the members of or deletes such an object.
import { rawValues, type LdapEntry } from './mapping.ts';
import type { LdapSettings } from './settings.ts';

/** What tells a protected Active Directory object. */
export const PROTECT_ATTRIBUTES = ['adminCount', 'isCriticalSystemObject', 'objectSid'];

/** Domain RIDs below 1000 are AD's own accounts and groups; these are the privileged ones, named. */
const DOMAIN_RIDS: Record<number, string> = {
  500: 'the built-in Administrator account',
  502: 'the krbtgt account',
  512: 'Domain Admins',
  516: 'Domain Controllers',
  517: 'Cert Publishers',
  518: 'Schema Admins',
  519: 'Enterprise Admins',
  520: 'Group Policy Creator Owners',
  521: 'Read-only Domain Controllers',
  526: 'Key Admins',
  527: 'Enterprise Key Admins',
};

/** The BUILTIN domain (S-1-5-32): every group in it is AD's own; the privileged ones named. */
const BUILTIN_RIDS: Record<number, string> = {
  544: 'Administrators',
  548: 'Account Operators',
  549: 'Server Operators',
  550: 'Print Operators',
  551: 'Backup Operators',
  552: 'Replicator',
};

/** objectSid bytes → authority and sub-authorities (revision, count, 48-bit authority, count × uint32 LE). */
export function parseSid(v: unknown): { authority: number; subs: number[] } | undefined {
  if (!Buffer.isBuffer(v) || v.length < 8) return undefined;
  const count = v[1]!;
  if (v.length < 8 + 4 * count) return undefined;
  const authority = v.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(v.readUInt32LE(8 + 4 * i));
  return { authority, subs };
}

/** Why a built-in SID is protected, or undefined for an ordinary object. */
function builtinReason(sid: { authority: number; subs: number[] }): string | undefined {
  if (sid.authority !== 5) return undefined;
  const [first] = sid.subs;
  const rid = sid.subs[sid.subs.length - 1]!;
  if (first === 32 && sid.subs.length === 2) return `the built-in group ${BUILTIN_RIDS[rid] ?? `S-1-5-32-${rid}`}`;
  if (first === 21 && sid.subs.length === 5 && rid < 1000)
    return DOMAIN_RIDS[rid] ? `${DOMAIN_RIDS[rid]}, RID ${rid}` : `a built-in object, RID ${rid}`;
  return undefined;
}

/** Why an entry must never be written (Active Directory only), or undefined. */
export function protectedReason(s: LdapSettings, entry: LdapEntry): string | undefined {
  if (!s.isAd) return undefined;
  const sid = parseSid(rawValues(entry, 'objectSid')[0]);
  const builtin = sid && builtinReason(sid);
  if (builtin) return builtin;
  if (text(rawValues(entry, 'adminCount')[0]) === '1') return 'adminCount=1: a privileged account or group';
  if (text(rawValues(entry, 'isCriticalSystemObject')[0])?.toUpperCase() === 'TRUE')
    return 'isCriticalSystemObject: a critical system object';
  return undefined;
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}
