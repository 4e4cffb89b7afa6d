// Certificate advice against a real slapd whose certificate is issued for a
// DNS name while the URL uses its IP (as when a DC is reached by address):
// a name mismatch is told apart from an untrusted issuer, with the
// certificate's subject, names and dates, and advice that fits each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { LdapConnector } from '../../src-main/connectors/ldap/index.ts';
import { ldapConfig } from './ldap-support.ts';

let srv: SlapdServer;
beforeAll(async () => {
  srv = await startSlapd({ certificateNames: ['DNS:dc1.example.test'] });
}, 60_000);
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
      ...over,
    }),
    { bindPassword: srv.adminPassword },
  );

describe('certificate advice', () => {
  it('says the name does not match (not "paste the CA") when the right CA is there', async () => {
    const r = await connector().verify();
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('certificate_name_mismatch');
    expect(r.error?.message).toContain('issued for dc1.example.test, not for "127.0.0.1"');
    expect(r.error?.message).toMatch(/valid \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d/);
    expect(r.error?.hint).toContain('A CA certificate does not help');
    expect(r.error?.hint).not.toMatch(/Paste/);
    expect(r.error?.details).toMatchObject({
      problem: 'name_mismatch',
      certificate: { names: ['dc1.example.test'], nameMatches: false, selfSigned: false },
    });
  });

  it('without the CA says the issuer is not trusted, names the field that exists, and mentions the name too', async () => {
    const r = await connector({ caCertPem: undefined }).verify();
    expect(r.error?.code).toBe('certificate_untrusted');
    expect(r.error?.message).toContain('Provision Desk Test CA');
    expect(r.error?.message).toContain('It is also not issued for "127.0.0.1"');
    expect(r.error?.hint).toContain('"Trusted CA certificate (PEM)"');
  });
});
