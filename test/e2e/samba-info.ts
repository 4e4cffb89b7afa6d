// The Samba AD DC that test/e2e/global-setup.ts started for this run.
import { existsSync, readFileSync } from 'node:fs';
import { Attribute, Change, Client } from 'ldapts';
import type { SambaDcInfo } from '../services/samba.ts';

export const SAMBA_INFO_PATH = 'test-results/samba.json';

export function sambaInfo(): SambaDcInfo {
  if (!existsSync(SAMBA_INFO_PATH))
    throw new Error(
      `No Samba AD DC for this run (${SAMBA_INFO_PATH} is missing): playwright.config.ts needs globalSetup: './test/e2e/global-setup.ts', ` +
        'and Samba must be installed (Debian samba, samba-ad-provision, samba-dsdb-modules, winbind) and run as root.',
    );
  return JSON.parse(readFileSync(SAMBA_INFO_PATH, 'utf8')) as SambaDcInfo;
}

/** An admin LDAPS connection to the DC, for seeding and reading back. */
export async function sambaAdmin<T>(info: SambaDcInfo, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ url: info.ldapsUrl, tlsOptions: { ca: info.caCertPem }, timeout: 30_000 });
  try {
    await c.bind(info.adminDn, info.adminPassword);
    return await fn(c);
  } finally {
    await c.unbind().catch(() => undefined);
  }
}

export async function addOu(c: Client, dn: string): Promise<void> {
  await c.add(dn, { objectClass: ['top', 'organizationalUnit'] });
}

/** An enabled AD user with a password (LDAPS: unicodePwd). */
export async function addAdUser(
  c: Client,
  ou: string,
  u: { sam: string; given: string; sn: string; mail: string; title?: string },
  dnsDomain: string,
) {
  const dn = `CN=${u.given} ${u.sn},${ou}`;
  await c.add(dn, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    sAMAccountName: u.sam,
    userPrincipalName: `${u.sam}@${dnsDomain}`,
    givenName: u.given,
    sn: u.sn,
    displayName: `${u.given} ${u.sn}`,
    mail: u.mail,
    ...(u.title ? { title: u.title } : {}),
  });
  const pwd = Buffer.from('"Init1al-Passw0rd!"', 'utf16le');
  await c.modify(dn, [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [pwd] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }),
  ]);
  return dn;
}

export async function findBySam(c: Client, base: string, sam: string) {
  const { searchEntries } = await c.search(base, {
    scope: 'sub',
    filter: `(sAMAccountName=${sam.replace(/[\\*()\u0000]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)})`,
    attributes: [
      'dn',
      'displayName',
      'givenName',
      'sn',
      'mail',
      'title',
      'department',
      'userAccountControl',
      'memberOf',
    ],
  });
  return searchEntries[0];
}

export async function membersOf(c: Client, groupDn: string): Promise<string[]> {
  const { searchEntries } = await c.search(groupDn, {
    scope: 'base',
    filter: '(objectClass=group)',
    attributes: ['member'],
  });
  const m = searchEntries[0]?.member;
  return (Array.isArray(m) ? m : m ? [m] : []).map(String);
}
