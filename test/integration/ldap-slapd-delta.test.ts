// Generic-LDAP change tracking against a real slapd: the token a full listing builds (each entry's
// entryCSN as the listing read it, no scan before the read), a change made while the listing runs,
// a listing cut short, and v1 tokens (highest entryCSN + anchor set) still read. Needs no Samba:
// run with PD_SAMBA=off.
import { deflateRawSync } from 'node:zlib';
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import type { RemoteUser } from '../../src-main/connectors/connector.ts';
import { ldapClient } from './sync-support.ts';
import { ldapConfig } from './ldap-support.ts';

const N = 9;
let srv: SlapdServer;
let admin: Client;
let people = '';

const person = (login: string, title = 'Engineer') => ({
  objectClass: ['inetOrgPerson'],
  uid: login,
  cn: login,
  sn: login,
  displayName: login,
  mail: `${login}@example.test`,
  title,
});
const dnOf = (login: string) => `uid=${login},${people}`;
const retitle = (login: string, title: string) =>
  admin.modify(dnOf(login), [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: [title] }) }),
  ]);

/** A connector on its own OU (each test gets one, so tests do not see each other's entries). */
const connector = (ou: string, pageSize = 500) =>
  new LdapConnector(
    ldapConfig('ldap', {
      urls: [srv.ldapsUrl],
      caCertPem: srv.caCertPem,
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userSearchBase: ou,
      groupSearchBase: srv.groupsDn,
      userTargetOu: ou,
      groupTargetOu: srv.groupsDn,
      pageSize,
    }),
    { bindPassword: srv.adminPassword },
  );

async function seedOu(name: string, n = N): Promise<string> {
  const ou = `ou=${name},${srv.baseDn}`;
  await admin.add(ou, { objectClass: ['organizationalUnit'], ou: name });
  people = ou;
  for (let i = 0; i < n; i++) await admin.add(dnOf(`${name}${i}`), person(`${name}${i}`));
  return ou;
}

async function listAll(c: LdapConnector): Promise<RemoteUser[]> {
  const out: RemoteUser[] = [];
  for await (const page of c.listUsers()) out.push(...page);
  for await (const page of c.listGroups()) void page;
  return out;
}

const names = (us: RemoteUser[]) => us.map((u) => u.data.userName).sort();

beforeAll(async () => {
  srv = await startSlapd();
  admin = await ldapClient(srv.ldapsUrl, srv.adminDn, srv.adminPassword, srv.caCertPem);
}, 60_000);

afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await srv?.stop();
});

describe('generic LDAP: a token from the full listing', () => {
  it('slapd stamps entries with entryCSN: the listing carries a v2 token; change, add and delete show exactly', async () => {
    const ou = await seedOu('lt');
    const c = connector(ou);
    try {
      expect(await c.trackListing()).toBe(true);
      const listed = await listAll(c);
      expect(listed).toHaveLength(N);
      // Mapping ignores the stamp asked for with the entries.
      expect(JSON.stringify(listed)).not.toMatch(/entryCSN|#000#/i);
      const token = c.listingToken()!;
      expect(JSON.parse(token)).toMatchObject({ v: 2, t: 'ldap' });

      await retitle('lt1', 'Architect');
      await admin.add(dnOf('ltnew'), person('ltnew'));
      await admin.del(dnOf('lt2'));
      const gone = listed.find((u) => u.data.userName === 'lt2')!.anchor;
      const d = await c.delta(token);
      expect(d.usable).toBe(true);
      expect(names(d.users.changed)).toEqual(['lt1', 'ltnew']);
      expect(d.users.changed.find((u) => u.data.userName === 'lt1')!.data.title).toBe('Architect');
      expect(d.users.removed).toEqual([gone]);
      expect(d.groups).toEqual({ changed: [], removed: [] });
      expect(JSON.parse(d.nextToken)).toMatchObject({ v: 2, t: 'ldap' });
      // Nothing since: empty.
      const again = await c.delta(d.nextToken);
      expect(again.users).toEqual({ changed: [], removed: [] });
      expect(again.groups).toEqual({ changed: [], removed: [] });
    } finally {
      await c.close();
    }
  });

  it('an entry changed while the listing runs, after it was listed, shows in the next delta', async () => {
    const ou = await seedOu('lr');
    const c = connector(ou, 2); // pages of 2
    try {
      expect(await c.trackListing()).toBe(true);
      const listed: RemoteUser[] = [];
      let pages = 0;
      let changedAfterPage = -1;
      for await (const page of c.listUsers()) {
        listed.push(...page);
        if (pages++ === 0) {
          // The first page is handed over; the listing has more to read. Change an entry it already read.
          await retitle(page[0]!.data.userName, 'Changed while listed');
          changedAfterPage = pages;
        }
      }
      for await (const page of c.listGroups()) void page;
      expect(pages).toBeGreaterThan(2);
      expect(changedAfterPage).toBe(1);
      const first = listed[0]!;
      expect(first.data.title).toBe('Engineer'); // read before the change
      const d = await c.delta(c.listingToken()!);
      expect(d.users.changed.map((u) => u.anchor)).toEqual([first.anchor]);
      expect(d.users.changed[0]!.data.title).toBe('Changed while listed');
      expect(d.users.removed).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('a listing cut short or not yet run gives no token; a later complete one does', async () => {
    const ou = await seedOu('lc');
    const c = connector(ou, 2);
    try {
      expect(c.listingToken()).toBeUndefined(); // not tracking
      expect(await c.trackListing()).toBe(true);
      expect(c.listingToken()).toBeUndefined(); // nothing listed yet
      for await (const page of c.listUsers()) {
        void page;
        break; // cut after the first page
      }
      expect(c.listingToken()).toBeUndefined();
      await listAll(c);
      expect(JSON.parse(c.listingToken()!)).toMatchObject({ v: 2 });
      // Only users listed (groups import off): the token covers users only, and a delta reports no groups.
      expect(await c.trackListing()).toBe(true);
      for await (const page of c.listUsers()) void page;
      const usersOnly = JSON.parse(c.listingToken()!) as { u?: string; g?: string };
      expect(usersOnly.u).toBeDefined();
      expect(usersOnly.g).toBeUndefined();
      await admin.add(`cn=lc-team,${srv.groupsDn}`, {
        objectClass: ['groupOfNames'],
        cn: 'lc-team',
        member: [dnOf('lc0')],
      });
      await retitle('lc3', 'Lead');
      const d = await c.delta(c.listingToken()!);
      expect(names(d.users.changed)).toEqual(['lc3']);
      expect(d.groups).toEqual({ changed: [], removed: [] });
      expect(JSON.parse(d.nextToken)).not.toHaveProperty('g');
    } finally {
      await c.close();
    }
  });

  it('a v1 token (highest entryCSN + anchor set, stored by earlier versions) is still read, and is followed by a v2 one', async () => {
    const ou = await seedOu('lv');
    const c = connector(ou);
    try {
      // The v1 token as earlier versions took it: a scan of anchors and entryCSN.
      const scan = await admin.search(ou, {
        scope: 'sub',
        filter: '(objectClass=inetOrgPerson)',
        attributes: ['entryUUID', 'entryCSN', 'modifyTimestamp'],
      });
      const groups = await admin.search(srv.groupsDn, {
        scope: 'sub',
        filter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
        attributes: ['entryUUID', 'entryCSN'],
      });
      const all = [...scan.searchEntries, ...groups.searchEntries];
      const max = (k: string) =>
        all
          .map((e) => String(e[k] ?? ''))
          .sort()
          .at(-1) ?? '';
      const pack = (es: typeof all) =>
        deflateRawSync(
          Buffer.from(
            es
              .map((e) => String(e.entryUUID))
              .sort()
              .join('\n'),
            'utf8',
          ),
        ).toString('base64');
      const v1 = JSON.stringify({
        v: 1,
        t: 'ldap',
        csn: max('entryCSN'),
        ts: max('modifyTimestamp'),
        u: pack(scan.searchEntries),
        g: pack(groups.searchEntries),
      });
      const gone = String(
        scan.searchEntries.find((e) => e.dn.toLowerCase() === dnOf('lv4').toLowerCase())?.entryUUID ?? '',
      );
      expect(gone).not.toBe('');

      await retitle('lv0', 'Architect');
      await admin.add(dnOf('lvnew'), person('lvnew'));
      await admin.del(dnOf('lv4'));
      const d = await c.delta(v1);
      expect(d.usable).toBe(true);
      expect(names(d.users.changed)).toEqual(['lv0', 'lvnew']);
      expect(d.users.removed).toEqual([gone]);
      expect(JSON.parse(d.nextToken)).toMatchObject({ v: 2, t: 'ldap' });
      expect((await c.delta(d.nextToken)).users).toEqual({ changed: [], removed: [] });
    } finally {
      await c.close();
    }
  });
});
