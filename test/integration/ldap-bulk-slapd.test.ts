// Bulk user creation (the outbox worker's path for generic LDAP) against a
// real slapd: one search per batch for existing matches (user name first,
// then e-mail), the adds pipelined, each created entry read back from the
// add's own answer (Post-Read control, RFC 4527) — and an existing match is
// returned as it is, never created twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'ldapts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import type { LdapSession } from '../../src-main/connectors/ldap/connection.ts';
import type { RemoteUser, RemoteUserData } from '../../src-main/connectors/connector.ts';
import { ldapConfig } from './ldap-support.ts';

let srv: SlapdServer;
beforeAll(async () => {
  srv = await startSlapd();
});
afterAll(async () => {
  await srv?.stop();
});

const connector = () =>
  new LdapConnector(
    ldapConfig('ldap', {
      urls: [srv.url],
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userSearchBase: srv.peopleDn,
      groupSearchBase: srv.groupsDn,
      userTargetOu: srv.peopleDn,
      groupTargetOu: srv.groupsDn,
    }),
    { bindPassword: srv.adminPassword },
  );

const person = (userName: string, mail = `${userName}@example.test`): { data: RemoteUserData } => ({
  data: {
    userName,
    name: { givenName: 'Bulk', familyName: userName },
    displayName: `Bulk ${userName}`,
    emails: [{ value: mail, primary: true }],
    phoneNumbers: [],
    title: 'Engineer',
    active: true,
  } as RemoteUserData,
});

/** Counts the searches and adds the connector's shared session sends. */
async function counted(c: LdapConnector): Promise<{ searches: number; adds: number }> {
  const session = await (c as unknown as { shared(): Promise<LdapSession> }).shared();
  const n = { searches: 0, adds: 0 };
  const client = session.client as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const [name, key] of [
    ['search', 'searches'],
    ['searchPaginated', 'searches'],
    ['add', 'adds'],
  ] as const) {
    const orig = client[name]!.bind(session.client);
    client[name] = (...a: unknown[]) => {
      n[key]++;
      return orig(...a);
    };
  }
  return n;
}

/** The entry as slapd holds it, read with a separate client. */
async function stored(dn: string): Promise<Record<string, unknown>> {
  const c = new Client({ url: srv.url });
  try {
    await c.bind(srv.adminDn, srv.adminPassword);
    const r = await c.search(dn, { scope: 'base', attributes: ['*', 'entryUUID'] });
    return r.searchEntries[0]!;
  } finally {
    await c.unbind();
  }
}

describe('bulk user creation into slapd', () => {
  it('creates a batch with one search, reading anchors and values back from the adds themselves', async () => {
    const c = connector();
    try {
      const n = await counted(c);
      const res = await c.createUsers!(['pr.one', 'pr.two', 'pr.three'].map((u) => person(u)));
      expect(n).toEqual({ searches: 1, adds: 3 });
      for (const [i, r] of res.entries()) {
        expect(r).not.toBeInstanceOf(Error);
        const u = r as RemoteUser;
        const e = await stored(u.ref);
        expect(u.anchor).toBe(e.entryUUID);
        expect(u.data.userName).toBe(['pr.one', 'pr.two', 'pr.three'][i]);
        expect(u.data.emails[0]?.value).toBe(e.mail);
        expect(u.data.title).toBe('Engineer');
      }
    } finally {
      await c.close();
    }
  });

  it('returns an existing user matched by user name or by e-mail instead of creating it again', async () => {
    const c = connector();
    try {
      const [byName, byMail] = (await c.createUsers!([
        person('twin.name'),
        person('twin.mail', 'shared@example.test'),
      ])) as RemoteUser[];
      const n = await counted(c);
      const again = await c.createUsers!([
        person('twin.name', 'another@example.test'),
        person('other.name', 'shared@example.test'),
        person('fresh.one'),
      ]);
      expect(n).toEqual({ searches: 1, adds: 1 });
      expect((again[0] as RemoteUser).anchor).toBe(byName!.anchor);
      expect((again[1] as RemoteUser).anchor).toBe(byMail!.anchor);
      expect((again[2] as RemoteUser).ref).toMatch(/^uid=fresh\.one,/i);
      const all = await c.createUsers!([person('twin.name'), person('twin.mail', 'shared@example.test')]);
      expect(all.map((r) => (r as RemoteUser).anchor)).toEqual([byName!.anchor, byMail!.anchor]);
    } finally {
      await c.close();
    }
  });

  it('two items for one user name in a batch make one entry: the second add finds the first and links it', async () => {
    const c = connector();
    try {
      const res = (await c.createUsers!([person('dup.one'), person('dup.one'), person('dup.two')])) as RemoteUser[];
      expect(res.every((r) => !(r instanceof Error))).toBe(true);
      expect(res[1]!.anchor).toBe(res[0]!.anchor);
      expect(res[2]!.anchor).not.toBe(res[0]!.anchor);
      const l = new Client({ url: srv.url });
      try {
        await l.bind(srv.adminDn, srv.adminPassword);
        const r = await l.search(srv.peopleDn, { scope: 'sub', filter: '(uid=dup.one)', attributes: ['entryUUID'] });
        expect(r.searchEntries.map((e) => e.entryUUID)).toEqual([res[0]!.anchor]);
      } finally {
        await l.unbind();
      }
    } finally {
      await c.close();
    }
  });
});
