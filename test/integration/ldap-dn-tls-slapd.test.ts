// Against a real slapd: users whose names are RFC 4514 corner cases (a leading
// '#' with hex digits, every special plus an emoji) stay editable and
// deletable through the DN the connector hands out, and passwords go only over
// TLS unless the admin allowed a plain connection for this directory.
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import type { RemoteUserData } from '../../src-main/connectors/connector.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { canonicalDn, formatDn, parseDn } from '../../src-main/connectors/ldap/escape.ts';
import { ldapConfig } from './ldap-support.ts';

let srv: SlapdServer;
beforeAll(async () => {
  srv = await startSlapd();
});
afterAll(async () => {
  await srv?.stop();
});

const connector = (over: Record<string, unknown> = {}) =>
  new LdapConnector(
    ldapConfig('ldap', {
      urls: [srv.ldapsUrl],
      caCertPem: srv.caCertPem,
      bindDn: srv.adminDn,
      baseDn: srv.baseDn,
      userSearchBase: srv.peopleDn,
      groupSearchBase: srv.groupsDn,
      userTargetOu: srv.peopleDn,
      groupTargetOu: srv.groupsDn,
      userRdnTemplate: 'uid={userName}',
      ...over,
    }),
    { bindPassword: srv.adminPassword },
  );

const user = (userName: string): RemoteUserData => ({ ...emptyUser(userName), displayName: `Odd ${userName}` });

async function exists(dn: string): Promise<boolean> {
  const c = new Client({ url: srv.url });
  try {
    await c.bind(srv.adminDn, srv.adminPassword);
    return (await c.search(dn, { scope: 'base', attributes: ['1.1'] })).searchEntries.length === 1;
  } catch (e) {
    if ((e as Error).name === 'NoSuchObjectError') return false;
    throw e;
  } finally {
    await c.unbind();
  }
}

async function canBindAs(dn: string, password: string): Promise<boolean> {
  const c = new Client({ url: srv.ldapsUrl, tlsOptions: { ca: srv.caCertPem } });
  try {
    await c.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await c.unbind().catch(() => {});
  }
}

describe('DNs that are RFC 4514 corner cases', () => {
  it.each(['#42', '#2024', '#BEEF', 'walk,=+<>#;\\"😀', ' spaced ', 'a+b', 'Zoë 山田 😀'])(
    'a user named %s is created, found, edited and deleted through its stored DN',
    async (name) => {
      const c = connector();
      const created = await c.createUser(user(name));
      try {
        // The DN the app stores parses back to the same RDNs and is the canonical spelling.
        expect(canonicalDn(created.ref)).toBe(created.ref);
        expect(formatDn(parseDn(created.ref))).toBe(created.ref);
        expect(parseDn(created.ref)[0]).toEqual([{ type: 'uid', value: name }]);
        expect(created.ref).not.toContain('\uFFFD');
        const read = await c.getUser(created.ref);
        expect(read?.ref).toBe(created.ref);
        expect(read?.data.userName).toBe(name);
        const updated = await c.updateUser(created.ref, created.data, { ...created.data, title: 'Edited' });
        expect(updated.ref).toBe(created.ref);
        expect((await c.getUser(created.ref))?.data.title).toBe('Edited');
        await c.deleteUser(created.ref);
        expect(await exists(created.ref)).toBe(false);
      } finally {
        await c.deleteUser(created.ref).catch(() => {});
        await c.close();
      }
    },
  );
});

describe('passwords only over TLS', () => {
  it('refuses a new user with a password over plain ldap://, and writes nothing', async () => {
    const c = connector({ urls: [srv.url] });
    try {
      await expect(c.createUser(user('plain.create'), { password: 'Plain-Passw0rd!' })).rejects.toMatchObject({
        code: 'tls_required',
      });
      expect(await exists(`uid=plain.create,${srv.peopleDn}`)).toBe(false);
    } finally {
      await c.close();
    }
  });

  it('refuses a Password Modify over plain ldap://; StartTLS or the explicit allowance let it through', async () => {
    const tls = connector();
    const u = await tls.createUser(user('plain.set'));
    try {
      const plain = connector({ urls: [srv.url] });
      await expect(plain.setPassword(u.ref, 'Plain-Passw0rd!')).rejects.toMatchObject({ code: 'tls_required' });
      await plain.close();
      expect(await canBindAs(u.ref, 'Plain-Passw0rd!')).toBe(false);

      const startTls = connector({ urls: [srv.url], startTls: true });
      await startTls.setPassword(u.ref, 'StartTls-Passw0rd!');
      await startTls.close();
      expect(await canBindAs(u.ref, 'StartTls-Passw0rd!')).toBe(true);

      const allowed = connector({ urls: [srv.url], allowPlainPasswords: true });
      await allowed.setPassword(u.ref, 'Allowed-Passw0rd!');
      await allowed.close();
      expect(await canBindAs(u.ref, 'Allowed-Passw0rd!')).toBe(true);
    } finally {
      await tls.deleteUser(u.ref).catch(() => {});
      await tls.close();
    }
  });
});
