// The Active Directory connector against the real Samba AD DC shared by the
// test run (test/services/samba-global-setup.ts). Everything this file makes
// lives under its own OU=pd-ldap-test-<random>, removed at the end.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { writeUsersLdif } from '../services/seed-ldif.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import type { RemoteUserData } from '../../src-main/connectors/connector.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { canonicalDn, escapeDnValue, rdnValue, sameDn } from '../../src-main/connectors/ldap/escape.ts';
import { guidToString } from '../../src-main/connectors/ldap/guid.ts';
import { closedPort, collectUsers, ldapConfig, ldapsearch, parseLdif, randomTag } from './ldap-support.ts';

const info = sambaInfo();
const TAG = randomTag();
const ROOT = `OU=pd-ldap-test-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const BULK = `OU=Bulk,${ROOT}`;
const BULK_USERS = 5000;
const TREE_DELETE = '1.2.840.113556.1.4.805';

let admin: Client;
let bulkDns: string[] = [];
let bigGroupDn = '';

const pw = () => `Xy9!${randomTag()}${randomTag()}`;

const conn = (over: Record<string, unknown> = {}) => ({
  urls: [info.ldapsUrl],
  caCertPem: info.caCertPem,
  bindDn: info.adminUpn,
  baseDn: info.baseDn,
  userSearchBase: ROOT,
  groupSearchBase: GROUPS,
  userTargetOu: PEOPLE,
  groupTargetOu: GROUPS,
  upnSuffix: info.dnsDomain,
  pageSize: 1000,
  ...over,
});
const connector = (over: Record<string, unknown> = {}, password?: string) =>
  new LdapConnector(ldapConfig('activeDirectory', conn(over)), { bindPassword: password ?? info.adminPassword });

async function adminClient(): Promise<Client> {
  const c = new Client({ url: info.ldapsUrl, tlsOptions: { ca: info.caCertPem }, timeout: 120_000 });
  await c.bind(info.adminUpn, info.adminPassword);
  return c;
}

async function raw(dn: string, attributes: string[] = ['*']): Promise<Record<string, unknown> | undefined> {
  try {
    const r = await admin.search(dn, { scope: 'base', attributes, explicitBufferAttributes: ['objectGUID'] });
    return r.searchEntries[0];
  } catch (e) {
    if ((e as Error).name === 'NoSuchObjectError') return undefined;
    throw e;
  }
}

/** Binds as a user; returns 'ok' or the server's diagnostic message. */
async function bindAs(who: string, password: string): Promise<string> {
  const c = new Client({ url: info.ldapsUrl, tlsOptions: { ca: info.caCertPem } });
  try {
    await c.bind(who, password);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.unbind().catch(() => {});
  }
}

function user(userName: string, over: Partial<RemoteUserData> = {}): RemoteUserData {
  return { ...emptyUser(userName), ...over };
}

/** Runs `op` for every item over `lanes` connections, `depth` requests in flight on each. */
async function concurrently<T>(
  items: T[],
  op: (c: Client, item: T) => Promise<void>,
  lanes = 4,
  depth = 8,
): Promise<void> {
  let next = 0;
  const clients = await Promise.all(Array.from({ length: lanes }, () => adminClient()));
  try {
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: depth }, async () => {
          for (;;) {
            const item = items[next++];
            if (item === undefined) return;
            await op(c, item);
          }
        }),
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.unbind().catch(() => {})));
  }
}

beforeAll(async () => {
  admin = await adminClient();
  for (const dn of [ROOT, PEOPLE, GROUPS, BULK]) {
    await admin.add(dn, { objectClass: ['top', 'organizationalUnit'] });
  }
  // 5,000 varied users (commas, quotes, '+', '#', non-ASCII in CNs) with
  // logon names of this run only, added concurrently over 4 connections.
  const dir = mkdtempSync(join(tmpdir(), 'pd-ldap-samba-'));
  try {
    const seed = await writeUsersLdif(join(dir, 'ad.ldif'), {
      baseDn: info.baseDn,
      ad: true,
      count: BULK_USERS,
      peopleDn: BULK,
      seed: 7,
    });
    const parsed = parseLdif(readFileSync(seed.path, 'utf8'), []);
    const entries = parsed.map((e, i) => {
      const attrs: Record<string, string[]> = {};
      for (const [k, v] of e.attrs) attrs[k] = v;
      const login = `pl${TAG}${i}`;
      attrs.samaccountname = [login];
      attrs.userprincipalname = [`${login}@${info.dnsDomain}`];
      attrs.mail = [`${login}@${info.dnsDomain}`];
      return { dn: e.dn, attrs };
    });
    await concurrently(entries, (c, e) => c.add(e.dn, e.attrs));
    bulkDns = entries.map((e) => e.dn);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A group with all 5,000 as members (bulk values here; the connector's own
  // one-at-a-time adds are tested on small groups).
  bigGroupDn = `CN=Big Group ${TAG},${GROUPS}`;
  await admin.add(bigGroupDn, { objectClass: ['top', 'group'], sAMAccountName: [`bigg${TAG}`] });
  for (let i = 0; i < bulkDns.length; i += 1000) {
    await admin.modify(
      bigGroupDn,
      new Change({
        operation: 'add',
        modification: new Attribute({ type: 'member', values: bulkDns.slice(i, i + 1000) }),
      }),
    );
  }
}, 300_000);

afterAll(async () => {
  if (admin) {
    // Faster than one tree delete of 5,000 linked users: the big group first, then the users concurrently.
    if (bigGroupDn) await admin.del(bigGroupDn).catch(() => {});
    await concurrently(bulkDns, (c, dn) => c.del(dn).catch(() => {}));
    await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
    await admin.unbind().catch(() => {});
  }
}, 300_000);

describe('Verify Credentials on Samba AD', () => {
  it('succeeds over LDAPS and StartTLS with the server facts', async () => {
    const r = await connector().verify();
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.facts).toMatchObject({
      serverKind: 'Samba Active Directory domain controller',
      tls: 'LDAPS',
      defaultNamingContext: info.baseDn,
      userCount: BULK_USERS,
      groupCount: 1,
      pagedResults: true,
      certificateVerified: true,
    });
    expect(r.facts.namingContexts).toContain(info.baseDn);
    expect((r.facts.supportedControls as string[]).some((c) => c.startsWith('Show deleted'))).toBe(true);
    expect(r.warnings).toEqual([]);

    const st = await connector({ urls: [info.ldapUrl], startTls: true }).verify();
    expect(st.ok, JSON.stringify(st.error)).toBe(true);
    expect(st.facts.tls).toBe('StartTLS');
  });

  it('names each failure class, AD data codes decoded', async () => {
    const wrong = await connector({}, 'Wrong-passw0rd!').verify();
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toMatchObject({ code: 'invalid_credentials', details: { adDataCode: '52e' } });
    expect(wrong.error?.message).toMatch(/user name or password is wrong \(AD data code 52e\)/);

    const plain = await connector({ urls: [info.ldapUrl] }).verify();
    expect(plain.error?.code).toBe('tls_required');
    expect(plain.error?.message).toMatch(/requires an encrypted connection/);

    const untrusted = await connector({ caCertPem: undefined }).verify();
    expect(untrusted.error?.code).toBe('certificate_untrusted');
    expect(untrusted.error?.message).toMatch(/subject .*CN=/);
    expect(untrusted.error?.details).toMatchObject({
      certificate: { issuer: expect.any(String), fingerprint256: expect.any(String) },
    });

    const port = await closedPort();
    const unreachable = await connector({ urls: [`ldaps://127.0.0.1:${port}`] }).verify();
    expect(unreachable.error?.code).toBe('unreachable');

    const noBase = await connector({
      baseDn: `OU=nope-${TAG},${info.baseDn}`,
      userSearchBase: '',
      groupSearchBase: '',
    }).verify();
    expect(noBase.error?.code).toBe('base_not_found');

    const badFilter = await connector({ userFilter: '(&(sAMAccountName=x)' }).verify();
    expect(badFilter.error?.code).toBe('filter_invalid');

    // Accounts in trouble: disabled (533) and must change password (773).
    const c = connector();
    const password = pw();
    const u = await c.createUser(user(`pdv${TAG}`, { displayName: `Verify ${TAG}` }), { password });
    try {
      const upn = `pdv${TAG}@${info.dnsDomain}`;
      expect(
        (
          await new LdapConnector(ldapConfig('activeDirectory', conn({ bindDn: upn })), {
            bindPassword: password,
          }).verify()
        ).ok,
      ).toBe(true);
      await c.setUserEnabled(u.ref, false);
      const disabled = await new LdapConnector(ldapConfig('activeDirectory', conn({ bindDn: upn })), {
        bindPassword: password,
      }).verify();
      expect(disabled.error).toMatchObject({ code: 'account_disabled', details: { adDataCode: '533' } });
      await c.setUserEnabled(u.ref, true);
      await c.setPassword(u.ref, password, { mustChange: true });
      const mustChange = await new LdapConnector(ldapConfig('activeDirectory', conn({ bindDn: upn })), {
        bindPassword: password,
      }).verify();
      expect(mustChange.error).toMatchObject({ code: 'password_must_change', details: { adDataCode: '773' } });
    } finally {
      await c.deleteUser(u.ref);
      await c.close();
    }
  });
});

describe('Reading from Samba AD', () => {
  it('streams 5,000 users page by page, equal to what ldapsearch returns', async () => {
    const reference = await ldapsearch({
      url: info.ldapsUrl,
      caCertPath: info.caCertPath,
      bindDn: info.adminUpn,
      password: info.adminPassword,
      base: BULK,
      filter: '(&(objectClass=user)(!(objectClass=computer)))',
      attributes: ['objectGUID', 'sAMAccountName', 'displayName', 'employeeID'],
    });
    expect(reference).toHaveLength(BULK_USERS);
    const pages: number[] = [];
    const users = await collectUsers(connector({ userSearchBase: BULK }), pages);
    expect(users).toHaveLength(BULK_USERS);
    expect(pages.length).toBeGreaterThanOrEqual(5);
    const byAnchor = new Map(users.map((u) => [u.anchor, u]));
    for (const ref of reference) {
      const guid = guidToString(Buffer.from(ref.attrs.get('objectguid')?.[0] ?? '', 'hex'));
      const u = byAnchor.get(guid);
      expect(u, ref.dn).toBeDefined();
      if (!u) continue;
      expect(sameDn(u.ref, ref.dn)).toBe(true);
      expect(u.data.userName).toBe(ref.attrs.get('samaccountname')?.[0]);
      expect(u.data.displayName).toBe(ref.attrs.get('displayname')?.[0]);
      expect(u.data.employeeNumber).toBe(ref.attrs.get('employeeid')?.[0]);
      expect(u.data.active).toBe(false); // LDAP-created without password: 546, disabled
    }
  });

  it('reads a 5,000-member group completely through ranged retrieval, and a nested group', async () => {
    // Samba answers explicit ranges: the connector asks member;range=0-1499 and follows.
    const firstRange = await admin.search(bigGroupDn, { scope: 'base', attributes: ['member;range=0-1499'] });
    const keys = Object.keys(firstRange.searchEntries[0] ?? {});
    expect(keys).toContain('member;range=0-1499');

    const c = connector();
    try {
      const big = await c.getGroup(bigGroupDn);
      expect(big?.members).toHaveLength(BULK_USERS);
      expect(new Set(big?.members.map((m) => m.ref))).toEqual(new Set(bulkDns.map(canonicalDn)));
      expect(big?.members.every((m) => m.type === 'User')).toBe(true);

      const someone = bulkDns[42] as string;
      const parent = await c.createGroup({ displayName: `Nested parent ${TAG}` }, [bigGroupDn, someone]);
      const listed = [];
      for await (const page of c.listGroups()) listed.push(...page);
      const p = listed.find((g) => g.anchor === parent.anchor);
      expect(p?.members).toEqual(
        expect.arrayContaining([
          { ref: canonicalDn(bigGroupDn), type: 'Group' },
          { ref: canonicalDn(someone), type: 'User' },
        ]),
      );
      expect(p?.members).toHaveLength(2);
      expect(listed.find((g) => sameDn(g.ref, bigGroupDn))?.members).toHaveLength(BULK_USERS);
      await c.deleteGroup(parent.ref);
    } finally {
      await c.close();
    }
  });
});

describe('Writing to Samba AD', () => {
  it('creates (disabled → password → enabled), updates, renames, disables, enables and deletes a user', async () => {
    const c = connector();
    const sam = `pdu${TAG}`;
    const password = pw();
    const manager = bulkDns[0] as string;
    const created = await c.createUser(
      user(sam, {
        displayName: `Pat Tester ${TAG}`,
        name: { givenName: 'Pat', familyName: 'Tester' },
        emails: [{ value: `${sam}@${info.dnsDomain}`, primary: true }],
        phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
        title: 'Engineer',
        department: 'Research',
        employeeNumber: `E${TAG}`,
        managerRef: manager,
      }),
      { password },
    );
    try {
      expect(sameDn(created.ref, `CN=Pat Tester ${TAG},${PEOPLE}`)).toBe(true);
      const e1 = await raw(created.ref);
      expect(e1).toMatchObject({
        sAMAccountName: sam,
        userPrincipalName: `${sam}@${info.dnsDomain}`,
        givenName: 'Pat',
        sn: 'Tester',
        displayName: `Pat Tester ${TAG}`,
        mail: `${sam}@${info.dnsDomain}`,
        telephoneNumber: '+1 555 0100',
        title: 'Engineer',
        department: 'Research',
        employeeID: `E${TAG}`,
        userAccountControl: '512',
      });
      expect(sameDn(String(e1?.manager), manager)).toBe(true);
      expect(guidToString(e1?.objectGUID as Buffer)).toBe(created.anchor);
      expect(created.data.active).toBe(true);
      expect(await bindAs(`${sam}@${info.dnsDomain}`, password)).toBe('ok');

      const updated = await c.updateUser(created.ref, created.data, {
        ...created.data,
        title: 'Senior Engineer',
        phoneNumbers: [...created.data.phoneNumbers, { value: '+44 7700 1', type: 'mobile' }],
      });
      expect(await raw(updated.ref)).toMatchObject({
        title: 'Senior Engineer',
        mobile: '+44 7700 1',
        department: 'Research',
      });

      // Rename: the display name is the RDN value (CN={displayName}); the logon name follows with its UPN.
      const renamed = await c.updateUser(updated.ref, updated.data, {
        ...updated.data,
        displayName: `Pat Renamed ${TAG}`,
        userName: `${sam}r`,
      });
      expect(sameDn(renamed.ref, `CN=Pat Renamed ${TAG},${PEOPLE}`)).toBe(true);
      expect(renamed.anchor).toBe(created.anchor);
      expect(await raw(updated.ref)).toBeUndefined();
      expect(await raw(renamed.ref)).toMatchObject({
        sAMAccountName: `${sam}r`,
        userPrincipalName: `${sam}r@${info.dnsDomain}`,
        cn: `Pat Renamed ${TAG}`,
      });

      await c.setUserEnabled(renamed.ref, false);
      expect(Number((await raw(renamed.ref))?.userAccountControl) & 2).toBe(2);
      expect(await bindAs(`${sam}r@${info.dnsDomain}`, password)).toMatch(/data 533/);
      expect((await c.getUser(renamed.ref))?.data.active).toBe(false);
      await c.setUserEnabled(renamed.ref, true);
      expect(Number((await raw(renamed.ref))?.userAccountControl) & 2).toBe(0);
      expect(await bindAs(`${sam}r@${info.dnsDomain}`, password)).toBe('ok');

      await c.deleteUser(renamed.ref);
      expect(await raw(renamed.ref)).toBeUndefined();
      await c.deleteUser(renamed.ref);
    } finally {
      await c.deleteUser(created.ref).catch(() => {});
      await c.close();
    }
  });

  it('sets a password (unicodePwd) the user binds with; must change sets pwdLastSet to 0', async () => {
    const c = connector({ urls: [info.ldapUrl], startTls: true });
    const sam = `pdp${TAG}`;
    const u = await c.createUser(user(sam, { displayName: `Password ${TAG}` }), { password: pw() });
    try {
      const p2 = pw();
      await c.setPassword(u.ref, p2);
      expect(await bindAs(`${sam}@${info.dnsDomain}`, p2)).toBe('ok');
      const p3 = pw();
      await c.setPassword(u.ref, p3, { mustChange: true });
      expect((await raw(u.ref, ['pwdLastSet']))?.pwdLastSet).toBe('0');
      expect(await bindAs(`${sam}@${info.dnsDomain}`, p3)).toMatch(/data 773/);
      // A password the domain policy refuses is reported as such.
      await expect(c.setPassword(u.ref, 'short')).rejects.toMatchObject({ code: 'password_policy' });
    } finally {
      await c.deleteUser(u.ref);
      await c.close();
    }
  });

  it('creates a group, adds and removes members one at a time (idempotently), deletes it', async () => {
    const c = connector();
    const [a, b] = [canonicalDn(bulkDns[1] as string), canonicalDn(bulkDns[2] as string)];
    const g = await c.createGroup({ displayName: `PD Team, "Core" ${TAG}`, description: 'made by the test' });
    try {
      expect(rdnValue(g.ref)).toBe(`PD Team, "Core" ${TAG}`);
      expect(await raw(g.ref)).toMatchObject({
        description: 'made by the test',
        sAMAccountName: `PD Team Core ${TAG}`,
      });
      await c.addMembers(g.ref, [a, b, a]);
      await c.addMembers(g.ref, [b]);
      expect((await c.getGroup(g.ref))?.members.map((m) => m.ref).sort()).toEqual([a, b].sort());
      await c.removeMembers(g.ref, [a]);
      await c.removeMembers(g.ref, [a]);
      expect((await c.getGroup(g.ref))?.members).toEqual([{ ref: b, type: 'User' }]);
      expect((await c.findGroup(g.data))?.anchor).toBe(g.anchor);
      await c.deleteGroup(g.ref);
      expect(await raw(g.ref)).toBeUndefined();
      await c.deleteGroup(g.ref);
    } finally {
      await c.deleteGroup(g.ref).catch(() => {});
      await c.close();
    }
  });

  it('delta after changing one, adding one and deleting one returns exactly those three', async () => {
    const c = connector({ userSearchBase: PEOPLE });
    const a = await c.createUser(user(`pda${TAG}`, { displayName: `Delta A ${TAG}` }), { password: pw() });
    const gone = await c.createUser(user(`pdc${TAG}`, { displayName: `Delta C ${TAG}` }), { password: pw() });
    let b;
    try {
      const start = await c.delta(undefined);
      expect(start.usable).toBe(true);
      await c.updateUser(a.ref, a.data, { ...a.data, title: 'Changed' });
      b = await c.createUser(user(`pdb${TAG}`, { displayName: `Delta B ${TAG}` }), { password: pw() });
      await c.deleteUser(gone.ref);
      const d = await c.delta(start.nextToken);
      expect(d.usable).toBe(true);
      expect(d.users.changed.map((u) => u.anchor).sort()).toEqual([a.anchor, b.anchor].sort());
      expect(d.users.changed.find((u) => u.anchor === a.anchor)?.data.title).toBe('Changed');
      expect(d.users.removed).toEqual([gone.anchor]);
      expect(d.groups).toEqual({ changed: [], removed: [] });
      // A token from another DC incarnation (invocationId) is not usable: full resync.
      const foreign = JSON.stringify({ ...JSON.parse(d.nextToken), inv: '00000000-0000-0000-0000-000000000000' });
      expect((await c.delta(foreign)).usable).toBe(false);
    } finally {
      await c.deleteUser(a.ref);
      if (b) await c.deleteUser(b.ref);
      await c.close();
    }
  });

  it('round-trips hostile values or refuses them clearly', async () => {
    const c = connector();
    const made: string[] = [];
    try {
      const names = [
        'Smith, John + "Q" \\ <x> ; = #1',
        '#Leading hash',
        ' leading and trailing spaces ',
        'Zoë Ångström 山田 Łukasz',
        'trailing backslash\\',
        'nul\u0000and\ttab',
      ];
      for (const [i, name] of names.entries()) {
        const u = await c.createUser(user(`pdh${i}${TAG}`, { displayName: name, name: { familyName: name } }), {
          password: pw(),
        });
        made.push(u.ref);
        expect(rdnValue(u.ref), name).toBe(name);
        expect(u.data.displayName).toBe(name);
        expect((await c.getUser(u.ref))?.anchor).toBe(u.anchor);
        expect((await c.findUser(user(`pdh${i}${TAG}`)))?.anchor).toBe(u.anchor);
      }
      // Over-long and forbidden logon names are refused before anything is written.
      await expect(
        c.createUser(user('abcdefghijklmnopqrstuvwxyz', { displayName: `Too long ${TAG}` })),
      ).rejects.toMatchObject({
        code: 'invalid_value',
        message: expect.stringMatching(/26 characters long and at most 20/),
      });
      await expect(c.createUser(user('bad[name]*', { displayName: `Forbidden ${TAG}` }))).rejects.toMatchObject({
        code: 'invalid_value',
        message: expect.stringMatching(/does not allow: \[ \] \*/),
      });
      expect(await raw(`CN=Too long ${TAG},${PEOPLE}`)).toBeUndefined();
      // Filter specials are matched literally.
      expect(await c.findUser(user('*'))).toBeUndefined();
      expect(await c.findUser(user('x)(sAMAccountName=*'))).toBeUndefined();
      expect(await c.findUser(user('\\', { emails: [{ value: '*(a)\\\u0000@x.test' }] }))).toBeUndefined();
      expect(await c.findUser(user(`pdh0${TAG}*`))).toBeUndefined();
      expect(escapeDnValue(' x ')).toBe('\\ x\\ ');
    } finally {
      for (const dn of made) await c.deleteUser(dn).catch(() => {});
      await c.close();
    }
  });
});
