// Group rename and description against the real Samba AD DC shared by the
// run: the DN and the pre-Windows 2000 name (sAMAccountName) follow, members
// stay. Everything lives under its own OU=pd-groups-<random>, removed at the end.
import { Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { sameDn } from '../../src-main/connectors/ldap/escape.ts';
import { ldapConfig, randomTag } from './ldap-support.ts';

const info = sambaInfo();
const TAG = randomTag();
const ROOT = `OU=pd-groups-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';

let admin: Client;

const connector = () =>
  new LdapConnector(
    ldapConfig('activeDirectory', {
      urls: [info.ldapsUrl],
      caCertPem: info.caCertPem,
      bindDn: info.adminUpn,
      baseDn: info.baseDn,
      userSearchBase: ROOT,
      groupSearchBase: GROUPS,
      userTargetOu: PEOPLE,
      groupTargetOu: GROUPS,
      upnSuffix: info.dnsDomain,
    }),
    { bindPassword: info.adminPassword },
  );

async function raw(dn: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (
      await admin.search(dn, { scope: 'base', attributes: ['cn', 'name', 'sAMAccountName', 'description', 'member'] })
    ).searchEntries[0];
  } catch (e) {
    if ((e as Error).name === 'NoSuchObjectError') return undefined;
    throw e;
  }
}
const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

beforeAll(async () => {
  admin = new Client({ url: info.ldapsUrl, tlsOptions: { ca: info.caCertPem }, timeout: 60_000 });
  await admin.bind(info.adminUpn, info.adminPassword);
  for (const dn of [ROOT, PEOPLE, GROUPS]) await admin.add(dn, { objectClass: ['top', 'organizationalUnit'] });
});
afterAll(async () => {
  if (!admin) return;
  await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
  await admin.unbind().catch(() => {});
});

describe('group rename and description on Samba AD', () => {
  it('renames: DN and sAMAccountName follow (forbidden characters removed), members and objectGUID kept', async () => {
    const c = connector();
    try {
      const a = await c.createUser(emptyUser(`ra${TAG}`));
      const b = await c.createUser(emptyUser(`rb${TAG}`));
      const g = await c.createGroup({ displayName: `Team ${TAG}`, description: 'Before' }, [a.ref, b.ref]);
      expect(list((await raw(g.ref))!.sAMAccountName)).toEqual([`Team ${TAG}`]);

      const newName = `R&D: Lab/${TAG}, "North"`;
      const r = await c.updateGroup(g.ref, { displayName: newName, description: 'After' });
      expect(r.anchor).toBe(g.anchor);
      expect(sameDn(r.ref, `CN=R&D: Lab/${TAG}\\, \\"North\\",${GROUPS}`)).toBe(true);
      expect(r.data).toEqual({ displayName: newName, description: 'After' });
      expect(r.members.map((m) => m.ref).sort()).toEqual([a.ref, b.ref].sort());
      expect(await raw(g.ref)).toBeUndefined();
      const e = (await raw(r.ref))!;
      expect(list(e.sAMAccountName)).toEqual([`R&D Lab${TAG} North`]);
      expect(list(e.name)).toEqual([newName]);
      expect(list(e.description)).toEqual(['After']);
      expect(list(e.member).length).toBe(2);

      // Description alone: the DN and sAMAccountName stay.
      const d = await c.updateGroup(r.ref, { description: '' });
      expect(d.ref).toBe(r.ref);
      expect(list((await raw(r.ref))!.description)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('keeps a sAMAccountName the admin chose, and refuses a rename whose derived one is taken before writing anything', async () => {
    const c = connector();
    try {
      const custom = `CN=Custom ${TAG},${GROUPS}`;
      await admin.add(custom, { objectClass: ['top', 'group'], sAMAccountName: [`cust${TAG}`] });
      const r = await c.updateGroup(custom, { displayName: `Custom renamed ${TAG}` });
      expect(list((await raw(r.ref))!.sAMAccountName)).toEqual([`cust${TAG}`]);

      const taken = await c.createGroup({ displayName: `Taken ${TAG}` });
      const g = await c.createGroup({ displayName: `Free ${TAG}` });
      // "Taken: <tag>" derives to "Taken <tag>" (':' is not allowed): the first group's sAMAccountName.
      const err = await c.updateGroup(g.ref, { displayName: `Taken: ${TAG}` }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ConnectorError);
      expect(err).toMatchObject({
        code: 'already_exists',
        details: { attribute: 'sAMAccountName', value: `Taken ${TAG}` },
      });
      expect((err as Error).message).toContain('pre-Windows 2000 name');
      expect(sameDn((err as ConnectorError & { details: { usedBy: string } }).details.usedBy, taken.ref)).toBe(true);
      expect(await raw(g.ref)).toBeDefined(); // not renamed
    } finally {
      await c.close();
    }
  });
});
