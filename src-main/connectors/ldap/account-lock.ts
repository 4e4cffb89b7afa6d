// Can this directory hold a disabled account? Active Directory always can
// (userAccountControl). Generic LDAP has no standard "disabled": the engine
// writes *active* through one attribute (the admin's row, else the ppolicy
// lock pwdAccountLockedTime), and that works only when the server's schema
// knows the attribute — pwdAccountLockedTime exists only where the password
// policy overlay (ppolicy) is loaded. Asked by Verify and by an import preview
// for each directory that will receive creates, so a disabled user that cannot
// be written is told once, before anything is queued, instead of failing there.
import type { AccountLockSupport } from '../connector.ts';
import type { LdapSession } from './connection.ts';
import { activeRow, attrMap, first } from './mapping.ts';
import { readEntry } from './read.ts';
import type { LdapSettings } from './settings.ts';

/** The attribute type names (lower case) a subschema's attributeTypes values declare. */
export function attributeTypeNames(definitions: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const d of definitions) {
    const m = /\bNAME\s+(?:'([^']+)'|\(([^)]*)\))/i.exec(d);
    if (!m) continue;
    if (m[1]) names.add(m[1].toLowerCase());
    else for (const n of (m[2] ?? '').matchAll(/'([^']+)'/g)) names.add(n[1]!.toLowerCase());
  }
  return names;
}

/** The server's attribute types, or undefined when its schema cannot be read. */
async function schemaAttributes(session: LdapSession): Promise<Set<string> | undefined> {
  const root = await readEntry(session, '', ['subschemaSubentry']);
  const dn = root ? first(attrMap(root), 'subschemaSubentry') : undefined;
  if (!dn) return undefined;
  const schema = await readEntry(session, dn, ['attributeTypes']);
  const defs = schema ? (attrMap(schema).get('attributetypes') ?? []) : [];
  return defs.length > 0 ? attributeTypeNames(defs) : undefined;
}

export async function accountLockSupport(session: LdapSession, s: LdapSettings): Promise<AccountLockSupport> {
  if (s.isAd)
    return { canHold: true, attribute: 'userAccountControl', line: 'Accounts can be disabled (userAccountControl).' };
  const row = activeRow(s.userMapping);
  if (!row || row.direction === 'import')
    return {
      canHold: false,
      line: 'This directory cannot hold a disabled account: nothing writes "active" here (map "active" to an attribute that locks the account).',
    };
  const known = await schemaAttributes(session);
  if (!known)
    return {
      canHold: undefined,
      attribute: row.remote,
      line: `Could not read the server's schema to check that it knows ${row.remote}, the attribute that disables accounts here.`,
    };
  const ppolicy = row.remote.toLowerCase() === 'pwdaccountlockedtime';
  if (known.has(row.remote.toLowerCase()))
    return {
      canHold: true,
      attribute: row.remote,
      line: ppolicy
        ? 'Accounts can be disabled: the password policy overlay (ppolicy) is loaded (pwdAccountLockedTime).'
        : `Accounts can be disabled through ${row.remote}.`,
    };
  return {
    canHold: false,
    attribute: row.remote,
    line: ppolicy
      ? 'This directory cannot hold a disabled account: the password policy overlay (ppolicy) is not loaded. Load ppolicy, or map "active" to an attribute of your own.'
      : `This directory cannot hold a disabled account: the server's schema has no attribute ${row.remote}, which "active" is written to.`,
  };
}
