// Which object class a group has and which attribute holds its members.
import type { LdapSession } from '../connection.ts';
import { attrMap } from '../mapping.ts';
import { readEntry } from '../read.ts';
import type { LdapSettings } from '../settings.ts';

/** Empty DN kept as the only member of an LDAP group whose class must have one. */
export const PLACEHOLDER = '';

export type MemberAttribute = 'member' | 'uniqueMember';

/**
 * The object classes and membership attribute of the groups this directory
 * writes. Generic LDAP: groupOfUniqueNames / uniqueMember when the admin's
 * group filter selects that class (and not groupOfNames), else groupOfNames /
 * member. Active Directory: group / member.
 */
export function groupClassOf(s: LdapSettings): { objectClasses: string[]; memberAttribute: MemberAttribute } {
  // Only what the filter asks for counts: a negated item such as (!(objectClass=groupOfNames)) does not.
  const f = s.conn.groupFilter.replace(/\(\s*!\s*\([^()]*\)\s*\)/g, '');
  const names = (c: string) => new RegExp(`\\(\\s*objectClass\\s*=\\s*${c}\\s*\\)`, 'i').test(f);
  if (!s.isAd && names('groupOfUniqueNames') && !names('groupOfNames'))
    return { objectClasses: ['top', 'groupOfUniqueNames'], memberAttribute: 'uniqueMember' };
  return { objectClasses: s.groupObjectClasses, memberAttribute: 'member' };
}

/** The membership attribute of one existing group, by its object class (a directory may hold both kinds). */
export async function memberAttributeOf(session: LdapSession, groupRef: string): Promise<MemberAttribute | undefined> {
  const e = await readEntry(session, groupRef, ['objectClass']);
  const classes = e ? (attrMap(e).get('objectclass') ?? []).map((c) => c.toLowerCase()) : [];
  if (classes.includes('groupofuniquenames') && !classes.includes('groupofnames')) return 'uniqueMember';
  if (classes.includes('groupofnames') || classes.includes('group')) return 'member';
  return undefined;
}
