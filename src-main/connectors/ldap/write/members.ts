// Group members, many values per request: Permissive Modify makes a member already there (or already
// gone) a success; a request refused for one value or for its size is split in halves.
import { Attribute, Change, Control } from 'ldapts';
import { ConnectorError } from '../../connector.ts';
import type { LdapSession } from '../connection.ts';
import { parseDn } from '../escape.ts';
import { toConnectorError } from '../errors.ts';
import type { LdapSettings } from '../settings.ts';
import { groupClassOf, memberAttributeOf, PLACEHOLDER, type MemberAttribute } from './group-class.ts';
import { resultCode, run } from './requests.ts';
/**
 * Permissive Modify (AD, Samba and OpenLDAP): adding a value that is there or deleting one that is not
 * succeeds instead of failing the whole request, so a group's membership changes go in one request.
 * Not critical: a server without it answers as usual, and the split below finds the values at fault.
 */
const PERMISSIVE_MODIFY = new Control('1.2.840.113556.1.4.1413', { critical: false });
/**
 * Member values per add or modify request: a 5,000-member group goes out in one request, as ldapadd
 * would write it (each further request into a big group makes the server compare against every value
 * it holds). Active Directory may refuse so many linked values at once as adminLimitExceeded: such a
 * request is split in halves (below).
 */
export const MEMBER_VALUES_PER_REQUEST = 5000;
/** LDAP result code adminLimitExceeded: the request carries more than the server takes at once. */
export const ADMIN_LIMIT_EXCEEDED = 11;

const membersChange = (operation: 'add' | 'delete', type: MemberAttribute, dns: string[]) =>
  new Change({ operation, modification: new Attribute({ type, values: dns }) });

/** Each DN once (DNs compare case-insensitively), in their first order. */
export function distinctDns(dns: readonly string[]): string[] {
  const seen = new Set<string>();
  return dns.filter((dn) => {
    const k = dn.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < list.length; k += size) out.push(list.slice(k, k + size));
  return out;
}

/**
 * Writes member values in requests of up to MEMBER_VALUES_PER_REQUEST. A request the server refuses
 * because some value is already there (add) or already gone (delete) is split in halves until the
 * values at fault stand alone; `harmless` decides whether a single value's refusal means "done".
 */
async function writeMembers(
  session: LdapSession,
  groupRef: string,
  values: string[],
  write: (dns: string[]) => Promise<void>,
  harmless: (err: ConnectorError) => Promise<boolean>,
  action: string,
): Promise<void> {
  const go = async (dns: string[]): Promise<void> => {
    try {
      await write(dns);
    } catch (e) {
      const err = e instanceof ConnectorError ? e : toConnectorError(e, { action, dn: groupRef, url: session.url });
      const tooMany = resultCode(err) === ADMIN_LIMIT_EXCEEDED && dns.length > 1;
      if (tooMany || (await harmless(err))) {
        if (dns.length === 1) return;
        const half = Math.ceil(dns.length / 2);
        await go(dns.slice(0, half));
        await go(dns.slice(half));
        return;
      }
      throw err;
    }
  };
  for (const c of chunks(values, MEMBER_VALUES_PER_REQUEST)) await go(c);
}

/**
 * Adds members, many values per request. The configured attribute is tried first; a group of the other
 * class (the server refuses the attribute) is asked its class once and written with its own attribute.
 */
export async function addMembers(
  session: LdapSession,
  s: LdapSettings,
  groupRef: string,
  memberRefs: string[],
): Promise<void> {
  if (memberRefs.length === 0) return;
  for (const m of memberRefs) parseDn(m); // refuse a malformed DN before anything reaches the server
  // A value twice in one request is refused outright by some servers (Active Directory among them).
  memberRefs = distinctDns(memberRefs);
  let attr = groupClassOf(s).memberAttribute;
  let classChecked = s.isAd;
  const modify = async (dns: string[]) => {
    try {
      await session.client.modify(groupRef, membersChange('add', attr, dns), PERMISSIVE_MODIFY);
    } catch (e) {
      const err = toConnectorError(e, { action: 'add member', dn: groupRef, url: session.url });
      if (!classChecked && resultCode(err) === 65) {
        classChecked = true;
        const other = await memberAttributeOf(session, groupRef);
        if (other && other !== attr) {
          attr = other;
          return modify(dns);
        }
      }
      throw err;
    }
  };
  // "Already a member" is success; for a request of many values, split to find the values at fault.
  await writeMembers(session, groupRef, memberRefs, modify, async (err) => err.code === 'already_exists', 'add member');
  // The empty-DN placeholder that kept an empty groupOfNames valid goes once it has a real member.
  if (!s.isAd)
    await session.client
      .modify(groupRef, membersChange('delete', attr, [PLACEHOLDER]), PERMISSIVE_MODIFY)
      .catch(() => {});
}

/**
 * Removes members, many values per request; one that is not there counts as success (after checking,
 * once, that the group does not use the other membership attribute). Removing the last members of a
 * groupOfNames / groupOfUniqueNames leaves the empty-DN placeholder in their place.
 */
export async function removeMembers(
  session: LdapSession,
  s: LdapSettings,
  groupRef: string,
  memberRefs: string[],
): Promise<void> {
  if (memberRefs.length === 0) return;
  memberRefs = distinctDns(memberRefs);
  // Under Permissive Modify, deleting values of an attribute the entry does not use succeeds without
  // removing anything: outside AD the group's own membership attribute is read first (one read a batch).
  const attr = s.isAd ? 'member' : ((await memberAttributeOf(session, groupRef)) ?? groupClassOf(s).memberAttribute);
  const modify = async (dns: string[]): Promise<void> => {
    try {
      await session.client.modify(groupRef, membersChange('delete', attr, dns), PERMISSIVE_MODIFY);
    } catch (e) {
      const err = toConnectorError(e, { action: 'remove member', dn: groupRef, url: session.url });
      if (!s.isAd && err.code === 'invalid_value' && resultCode(err) === 65) {
        // The last members: keep the placeholder in their place.
        await run(session, 'remove member', groupRef, () =>
          session.client.modify(
            groupRef,
            [membersChange('add', attr, [PLACEHOLDER]), membersChange('delete', attr, dns)],
            PERMISSIVE_MODIFY,
          ),
        );
        return;
      }
      throw err;
    }
  };
  // "Not a member" is success (a server without Permissive Modify says so per value).
  const notThere = async (err: ConnectorError): Promise<boolean> =>
    (err.code === 'not_found' && resultCode(err) === 16) ||
    (s.isAd &&
      err.code === 'constraint' &&
      /member|0000055|NOT_IN_GROUP/i.test(String((err.details as { serverMessage?: string })?.serverMessage)));
  await writeMembers(session, groupRef, memberRefs, modify, notThere, 'remove member');
}
