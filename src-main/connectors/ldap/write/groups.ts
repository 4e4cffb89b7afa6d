// Groups: create (with their members), rename (modifyDN; AD's sAMAccountName follows when it was
// derived from the old name) and description.
import { Change } from 'ldapts';
import type { RemoteGroupChanges, RemoteGroupData } from '../../connector.ts';
import { ConnectorError } from '../../connector.ts';
import type { LdapSession } from '../connection.ts';
import { ldapFilter, parentDn, parseDn, rdnOf, rdnValue, sameDn } from '../escape.ts';
import { attrMap, entryToGroupData, first, groupDataToAttributes } from '../mapping.ts';
import { readEntry, searchPages } from '../read.ts';
import type { LdapSettings } from '../settings.ts';
import { cleanGroupSam, groupSamAccountName, joinDn, renderRdn } from './names.ts';
import { replace, resultCode, run } from './requests.ts';
import { addMembers, distinctDns, MEMBER_VALUES_PER_REQUEST, ADMIN_LIMIT_EXCEEDED } from './members.ts';
import { groupClassOf, PLACEHOLDER } from './group-class.ts';

export async function createGroup(
  session: LdapSession,
  s: LdapSettings,
  data: RemoteGroupData,
  initialMembers: string[] = [],
): Promise<string> {
  const [type, value] = renderRdn(
    s.groupRdnTemplate,
    (p) => (p === 'displayName' ? data.displayName : p === 'description' ? data.description : undefined),
    data.displayName,
  );
  const dn = joinDn(type, value, s.groupTargetOu);
  const attrs = groupDataToAttributes(data, s.groupMapping);
  const cls = groupClassOf(s);
  const entry: Record<string, string[]> = { objectClass: cls.objectClasses };
  for (const [k, v] of attrs) entry[k] = v;
  const cnKey = Object.keys(entry).find((k) => k.toLowerCase() === type.toLowerCase());
  if (!cnKey) entry[type] = [value];
  else if (!entry[cnKey]?.includes(value)) entry[cnKey] = [value, ...(entry[cnKey] ?? [])];
  for (const m of initialMembers) parseDn(m); // refuse a malformed DN before anything reaches the server
  initialMembers = distinctDns(initialMembers);
  // The group is written with its members (up to one request's worth; the rest follow in requests of many).
  const first = initialMembers.slice(0, MEMBER_VALUES_PER_REQUEST);
  const rest = initialMembers.slice(first.length);
  if (s.isAd) {
    entry.sAMAccountName = [groupSamAccountName(data.displayName)];
    if (first.length > 0) entry.member = first;
  } else {
    // groupOfNames and groupOfUniqueNames must have a member: the members, or the empty-DN placeholder.
    entry[cls.memberAttribute] = first.length > 0 ? first : [PLACEHOLDER];
  }
  try {
    await run(session, 'create group', dn, () => session.client.add(dn, entry));
  } catch (e) {
    // Too many values for one add (Active Directory's limit): the group is written with a part of its
    // members and the rest follow in modify requests, which split themselves as far as needed.
    if (!(e instanceof ConnectorError) || resultCode(e) !== ADMIN_LIMIT_EXCEEDED || first.length <= 1) throw e;
    const part = first.slice(0, Math.ceil(first.length / 4));
    const memberKey = s.isAd ? 'member' : cls.memberAttribute;
    await run(session, 'create group', dn, () => session.client.add(dn, { ...entry, [memberKey]: part }));
    await addMembers(session, s, dn, [...first.slice(part.length), ...rest]);
    return dn;
  }
  if (rest.length > 0) await addMembers(session, s, dn, rest);
  return dn;
}

/** The attribute a group's model field is written to (the admin's mapping), if any. */
function groupRemote(s: LdapSettings, model: 'displayName' | 'description'): string | undefined {
  return s.groupMapping.find((r) => r.model === model && r.direction !== 'import')?.remote;
}

const groupLookup = (g: RemoteGroupData) => (p: string) =>
  p === 'displayName' ? g.displayName : p === 'description' ? g.description : undefined;

/**
 * Renames a group and/or rewrites its description; returns the (possibly
 * new) DN. The current entry is read first, so only what really differs is
 * written. A new name renames the entry (modifyDN, same parent) when the RDN
 * template gives a new value; members stay (they are values of the entry).
 * Active Directory: the pre-Windows 2000 name (sAMAccountName) follows the
 * new name when it was derived from the old one (forbidden characters
 * removed, at most 64 characters), and is checked to be free first, so a
 * clash stops the change before anything is written.
 */
export async function updateGroup(
  session: LdapSession,
  s: LdapSettings,
  ref: string,
  changes: RemoteGroupChanges,
): Promise<string> {
  const nameAttr = groupRemote(s, 'displayName');
  const descAttr = groupRemote(s, 'description');
  const [rdnType] = renderRdn(s.groupRdnTemplate, () => 'x', 'x');
  const attrs = [
    ...new Set([nameAttr, descAttr, rdnType, ...(s.isAd ? ['sAMAccountName'] : [])].filter((a): a is string => !!a)),
  ];
  const e = await readEntry(session, ref, attrs);
  if (!e)
    throw new ConnectorError('not_found', `The group ${ref} does not exist.`, {
      details: { dn: ref },
      transient: false,
    });
  const m = attrMap(e);
  const current = entryToGroupData(m, s.groupMapping, rdnValue(ref) ?? '');
  const next: RemoteGroupData = {
    displayName: changes.displayName?.trim() || current.displayName,
    description: changes.description === undefined ? current.description : changes.description || undefined,
  };
  const renamed = next.displayName !== current.displayName;
  const list: Change[] = [];

  // sAMAccountName first: a clash must stop the rename before anything is written.
  if (s.isAd && renamed) {
    const sam = first(m, 'sAMAccountName');
    const derived =
      sam !== undefined &&
      [cleanGroupSam(current.displayName), current.displayName].some((v) => v.toLowerCase() === sam.toLowerCase());
    const newSam = cleanGroupSam(next.displayName);
    if (derived && newSam && newSam !== sam) {
      await checkSamFree(session, s, newSam, ref, next.displayName);
      list.push(replace('sAMAccountName', [newSam]));
    }
  }

  let dn = ref;
  const [type, valueBefore] = renderRdn(s.groupRdnTemplate, groupLookup(current), current.displayName);
  const [, valueAfter] = renderRdn(s.groupRdnTemplate, groupLookup(next), next.displayName);
  const rdnNow = rdnOf(ref)?.[0];
  const rdnFollows = !!rdnNow && rdnNow.type.toLowerCase() === type.toLowerCase() && rdnNow.value !== valueAfter;
  if (valueAfter !== valueBefore && rdnFollows) {
    const parent = parentDn(ref);
    const newDn = joinDn(type, valueAfter, parent);
    // A change of letter case only is the same DN to OpenLDAP (modifyDN would say "exists"); AD renames it.
    if (s.isAd || !sameDn(newDn, ref)) {
      await run(session, 'rename group', ref, () => session.client.modifyDN(ref, newDn)).catch(
        (err: ConnectorError) => {
          if (err.code !== 'already_exists') throw err;
          throw new ConnectorError(
            'already_exists',
            `The group cannot be renamed to "${next.displayName}": ${newDn} already exists.`,
            {
              details: err.details,
              cause: err,
              transient: false,
            },
          );
        },
      );
      dn = newDn;
    }
  }
  // The naming attribute was set by modifyDN (and AD refuses a write of it outside modifyDN).
  const setByRename = (a: string) => a.toLowerCase() === type.toLowerCase() && (dn !== ref || s.isAd);
  if (renamed && nameAttr && !setByRename(nameAttr)) list.push(replace(nameAttr, [next.displayName]));
  if (descAttr && (next.description ?? '') !== (current.description ?? ''))
    list.push(replace(descAttr, next.description ? [next.description] : []));
  if (list.length > 0) await run(session, 'update group', dn, () => session.client.modify(dn, list));
  return dn;
}

/** Refuses a group sAMAccountName another object of the domain already has. */
async function checkSamFree(
  session: LdapSession,
  s: LdapSettings,
  sam: string,
  self: string,
  name: string,
): Promise<void> {
  const filter = `(sAMAccountName=${ldapFilter`${sam}`})`;
  for await (const page of searchPages(session, {
    base: s.baseDn,
    scope: 'sub',
    filter,
    attributes: ['1.1'],
    pageSize: 2,
    baseIsConfig: true,
  })) {
    const other = page.find((x) => !sameDn(x.dn, self));
    if (other) {
      throw new ConnectorError(
        'already_exists',
        `The group cannot be renamed to "${name}": its pre-Windows 2000 name "${sam}" (sAMAccountName) is already used by ${other.dn}.`,
        { details: { attribute: 'sAMAccountName', value: sam, usedBy: other.dn }, transient: false },
      );
    }
  }
}
