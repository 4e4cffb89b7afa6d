// Group writes against a real OpenLDAP slapd (test/services/slapd.ts): rename
// (modifyDN, members kept) and description; groupOfUniqueNames written with
// uniqueMember. Needs no Samba (PD_SAMBA=off is fine for this file).
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { sameDn } from '../../src-main/connectors/ldap/escape.ts';
import { ldapConfig, randomTag } from './ldap-support.ts';

let srv: SlapdServer;
let admin: Client;

const conn = (over: Record<string, unknown> = {}) => ({
  urls: [srv.ldapsUrl],
  caCertPem: srv.caCertPem,
  bindDn: srv.adminDn,
  baseDn: srv.baseDn,
  userSearchBase: srv.peopleDn,
  groupSearchBase: srv.groupsDn,
  userTargetOu: srv.peopleDn,
  groupTargetOu: srv.groupsDn,
  ...over,
});
const connector = (over: Record<string, unknown> = {}) =>
  new LdapConnector(ldapConfig('ldap', conn(over)), { bindPassword: srv.adminPassword });

/** An entry as the server holds it, read with a separate client. */
async function raw(
  dn: string,
  attributes: string[] = ['*', 'entryUUID'],
): Promise<Record<string, unknown> | undefined> {
  try {
    return (await admin.search(dn, { scope: 'base', attributes })).searchEntries[0];
  } catch (e) {
    if ((e as Error).name === 'NoSuchObjectError') return undefined;
    throw e;
  }
}
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

beforeAll(async () => {
  srv = await startSlapd();
  admin = new Client({ url: srv.url });
  await admin.bind(srv.adminDn, srv.adminPassword);
});
afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await srv?.stop();
});

describe('group rename and description on slapd', () => {
  it('renames with modifyDN (escaped RDN), keeps members and the anchor, and changes or clears the description', async () => {
    const tag = randomTag();
    const c = connector();
    try {
      const a = await c.createUser(emptyUser(`ga${tag}`));
      const b = await c.createUser(emptyUser(`gb${tag}`));
      const g = await c.createGroup({ displayName: `Team ${tag}`, description: 'First text' }, [a.ref, b.ref]);

      const newName = `Sales, EMEA + "${tag}"`;
      const renamed = await c.updateGroup(g.ref, { displayName: newName });
      expect(renamed.anchor).toBe(g.anchor);
      expect(sameDn(renamed.ref, `cn=${'Sales\\, EMEA \\+ \\"'}${tag}\\",${srv.groupsDn}`)).toBe(true);
      expect(renamed.data).toEqual({ displayName: newName, description: 'First text' });
      expect(await raw(g.ref)).toBeUndefined();
      const entry = (await raw(renamed.ref))!;
      expect(list(entry.cn)).toEqual([newName]); // the old RDN value is gone
      expect(list(entry.member).sort()).toEqual([a.ref, b.ref].sort());
      expect(String(entry.entryUUID)).toBe(g.anchor);

      const described = await c.updateGroup(renamed.ref, { description: 'Second text' });
      expect(described.ref).toBe(renamed.ref);
      expect(list((await raw(renamed.ref))!.description)).toEqual(['Second text']);
      const cleared = await c.updateGroup(renamed.ref, { description: '' });
      expect(cleared.data.description).toBeUndefined();
      expect((await raw(renamed.ref))!.description).toBeUndefined();

      // Unchanged values write nothing; a name taken by another group is refused in the admin's words.
      expect((await c.updateGroup(renamed.ref, { displayName: newName })).ref).toBe(renamed.ref);
      const other = await c.createGroup({ displayName: `Other ${tag}` }, [a.ref]);
      const clash = await c.updateGroup(other.ref, { displayName: newName }).catch((e: unknown) => e);
      expect(clash).toBeInstanceOf(ConnectorError);
      expect(clash).toMatchObject({ code: 'already_exists' });
      expect((clash as Error).message).toContain(`cannot be renamed to "${newName}"`);
      expect(await raw(other.ref)).toBeDefined();
    } finally {
      await c.close();
    }
  });

  it('a change of letter case only keeps the DN and rewrites the name', async () => {
    const tag = randomTag();
    const c = connector();
    try {
      const u = await c.createUser(emptyUser(`gc${tag}`));
      const g = await c.createGroup({ displayName: `lower ${tag}` }, [u.ref]);
      const r = await c.updateGroup(g.ref, { displayName: `LOWER ${tag}` });
      expect(r.anchor).toBe(g.anchor);
      expect(r.data.displayName).toBe(`LOWER ${tag}`);
      expect(list((await raw(r.ref))!.member)).toEqual([u.ref]);
    } finally {
      await c.close();
    }
  });
});

describe('groupOfUniqueNames on slapd', () => {
  it('with the group filter on groupOfUniqueNames: created with that class and uniqueMember, members added and removed, read back', async () => {
    const tag = randomTag();
    const c = connector({ groupFilter: '(objectClass=groupOfUniqueNames)' });
    try {
      const a = await c.createUser(emptyUser(`ua${tag}`));
      const b = await c.createUser(emptyUser(`ub${tag}`));
      const empty = await c.createGroup({ displayName: `Unique empty ${tag}` });
      const e0 = (await raw(empty.ref, ['objectClass', 'uniqueMember', 'member']))!;
      expect(list(e0.objectClass).map((x) => x.toLowerCase())).toContain('groupofuniquenames');
      expect(list(e0.objectClass).map((x) => x.toLowerCase())).not.toContain('groupofnames');
      expect(list(e0.member)).toEqual([]);
      expect(empty.members).toEqual([]); // the placeholder is not a member

      await c.addMembers(empty.ref, [a.ref, b.ref, a.ref]);
      const e1 = (await raw(empty.ref, ['uniqueMember', 'member']))!;
      expect(list(e1.uniqueMember).sort()).toEqual([a.ref, b.ref].sort()); // placeholder gone, no duplicate
      expect(list(e1.member)).toEqual([]);
      expect((await c.getGroup(empty.ref))!.members.map((m) => m.ref).sort()).toEqual([a.ref, b.ref].sort());

      await c.removeMembers(empty.ref, [a.ref, a.ref]);
      expect(list((await raw(empty.ref, ['uniqueMember']))!.uniqueMember)).toEqual([b.ref]);
      await c.removeMembers(empty.ref, [b.ref]); // the last one: the placeholder takes its place
      expect((await c.getGroup(empty.ref))!.members).toEqual([]);

      const withMembers = await c.createGroup({ displayName: `Unique full ${tag}` }, [a.ref, b.ref]);
      expect(list((await raw(withMembers.ref, ['uniqueMember']))!.uniqueMember).sort()).toEqual([a.ref, b.ref].sort());
      const listed = [];
      for await (const page of c.listGroups()) listed.push(...page);
      expect(
        listed
          .find((g) => g.anchor === withMembers.anchor)
          ?.members.map((m) => m.ref)
          .sort(),
      ).toEqual([a.ref, b.ref].sort());
    } finally {
      await c.close();
    }
  });

  it('a directory set up for groupOfNames still writes a groupOfUniqueNames group it finds with uniqueMember', async () => {
    const tag = randomTag();
    const c = connector();
    try {
      const a = await c.createUser(emptyUser(`uc${tag}`));
      const b = await c.createUser(emptyUser(`ud${tag}`));
      const dn = `cn=legacy ${tag},${srv.groupsDn}`;
      await admin.add(dn, { objectClass: ['top', 'groupOfUniqueNames'], cn: `legacy ${tag}`, uniqueMember: a.ref });
      await c.addMembers(dn, [b.ref]);
      expect(list((await raw(dn, ['uniqueMember']))!.uniqueMember).sort()).toEqual([a.ref, b.ref].sort());
      await c.removeMembers(dn, [a.ref]);
      expect(list((await raw(dn, ['uniqueMember']))!.uniqueMember)).toEqual([b.ref]);
      // A groupOfNames group in the same directory is still written with member.
      const g = await c.createGroup({ displayName: `names ${tag}` }, [a.ref]);
      await c.addMembers(g.ref, [b.ref]);
      expect(list((await raw(g.ref, ['member']))!.member).sort()).toEqual([a.ref, b.ref].sort());
    } finally {
      await c.close();
    }
  });
});
