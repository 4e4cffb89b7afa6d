/**
 * Smoke tests of the real-server launchers (test/services): if these fail,
 * every other integration test will too, and this file says why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client, SizeLimitExceededError, StrongAuthRequiredError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { loadLdifIntoSamba } from '../services/samba.ts';
import { writeUsersLdif, type UsersLdifResult } from '../services/seed-ldif.ts';
import { pidAlive, startSlapd, type SlapdServer } from '../services/slapd.ts';

/** `ps` lines (pid and command) that mention `needle`. */
function psLines(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(needle))
    .filter((l) => !/^\s*\d+\s+Z/.test(l)); // zombies are reaped by init, not by us
}

/** RFC 3062 Password Modify request value: userIdentity [0], newPasswd [2]. */
function passwordModifyValue(dn: string, newPassword: string): Buffer {
  const tlv = (tag: number, content: Buffer): Buffer => {
    const len = content.length;
    const header = len < 0x80 ? Buffer.from([tag, len]) : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
    return Buffer.concat([header, content]);
  };
  return tlv(0x30, Buffer.concat([tlv(0x80, Buffer.from(dn, 'utf8')), tlv(0x82, Buffer.from(newPassword, 'utf8'))]));
}

describe('slapd launcher', () => {
  let work: string;
  let seed: UsersLdifResult;
  let slapd: SlapdServer;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pd-smoke-'));
    seed = await writeUsersLdif(join(work, 'seed.ldif'), {
      baseDn: 'dc=example,dc=test',
      count: 1200,
      groups: [3, 1200],
      memberOf: true,
    });
    slapd = await startSlapd({ seedLdif: seed.path });
  }, 60_000);

  afterAll(async () => {
    await slapd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('binds over LDAPS with the generated CA', async () => {
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
    try {
      await client.bind(slapd.adminDn, slapd.adminPassword);
      const { searchEntries } = await client.search(slapd.baseDn, { scope: 'base', attributes: ['dc'] });
      expect(searchEntries[0]?.dn).toBe(slapd.baseDn);
    } finally {
      await client.unbind();
    }
  });

  it('returns all 1,200 seeded users to a paged search, and refuses an unpaged one past the soft limit', async () => {
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem }, timeout: 0 });
    try {
      await client.bind(slapd.adminDn, slapd.adminPassword);
      const paged = await client.search(slapd.peopleDn, {
        filter: '(objectClass=inetOrgPerson)',
        attributes: ['uid'],
        paged: { pageSize: 250 },
        timeLimit: 0,
      });
      expect(paged.searchEntries).toHaveLength(1200);
      expect(new Set(paged.searchEntries.map((e) => e.uid)).size).toBe(1200);

      await expect(
        client.search(slapd.peopleDn, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid'], timeLimit: 0 }),
      ).rejects.toBeInstanceOf(SizeLimitExceededError);
    } finally {
      await client.unbind();
    }
  });

  it('holds the special-character and non-ASCII entries and their groups', async () => {
    const client = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
    try {
      await client.bind(slapd.adminDn, slapd.adminPassword);
      const comma = seed.sampleUsers.find((u) => u.cn.includes(','));
      const zoe = seed.sampleUsers.find((u) => u.cn === 'Zoë Ångström');
      expect(comma).toBeDefined();
      expect(zoe).toBeDefined();
      for (const u of [comma!, zoe!]) {
        const { searchEntries } = await client.search(u.dn, { scope: 'base', attributes: ['cn', 'uid', 'memberOf'] });
        expect(searchEntries[0]?.uid).toBe(u.login);
      }
      const [smallGroupDn, allGroupDn] = seed.groupDns as [string, string];
      expect(smallGroupDn).toBeDefined();
      const all = await client.search(allGroupDn, { scope: 'base', attributes: ['member'] });
      expect(all.searchEntries[0]?.member).toHaveLength(1200);
      const member = await client.search(seed.sampleUserDns[0] as string, { scope: 'base', attributes: ['memberOf'] });
      expect(([] as unknown[]).concat(member.searchEntries[0]?.memberOf ?? [])).toContain(allGroupDn);
    } finally {
      await client.unbind();
    }
  });

  it('lets the admin set a password with Password Modify, and the user bind with it (StartTLS)', async () => {
    const admin = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
    const dn = `cn=Smoke Test,${slapd.peopleDn}`;
    try {
      await admin.bind(slapd.adminDn, slapd.adminPassword);
      await admin.add(dn, { objectClass: ['inetOrgPerson'], cn: 'Smoke Test', sn: 'Test', uid: 'smoke.test' });
      await admin.exop('1.3.6.1.4.1.4203.1.11.1', passwordModifyValue(dn, 'Sm0ke-Passw0rd!'));
      const stored = await admin.search(dn, { scope: 'base', attributes: ['userPassword'] });
      expect(String(stored.searchEntries[0]?.userPassword)).toMatch(/^\{SSHA\}/);

      const user = new Client({ url: slapd.url });
      try {
        // A fresh options object: ldapts' startTLS() writes `socket` into it.
        await user.startTLS({ ca: slapd.caCertPem });
        await user.bind(dn, 'Sm0ke-Passw0rd!');
      } finally {
        await user.unbind();
      }
      await admin.del(dn);
    } finally {
      await admin.unbind();
    }
  });

  it('stop() leaves no process and no directory behind', async () => {
    const { pid, dataDir } = slapd;
    expect(pidAlive(pid)).toBe(true);
    expect(psLines(dataDir).length).toBeGreaterThan(0);
    await slapd.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(psLines(dataDir)).toEqual([]); // neither slapd nor its watchdog
    expect(psLines(`${pid}`).filter((l) => l.includes('read _ignored'))).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('Samba AD DC (globalSetup)', () => {
  it('accepts an LDAPS bind as Administrator and serves the rootDSE', async () => {
    const dc = sambaInfo();
    const client = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem } });
    try {
      await client.bind(dc.adminDn, dc.adminPassword);
      const { searchEntries } = await client.search('', {
        scope: 'base',
        attributes: ['defaultNamingContext', 'dnsHostName', 'highestCommittedUSN'],
      });
      expect(searchEntries[0]?.defaultNamingContext).toBe(dc.baseDn);
      expect(String(searchEntries[0]?.dnsHostName).toLowerCase()).toBe(dc.dnsHostName);
    } finally {
      await client.unbind();
    }
    const byUpn = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem } });
    try {
      await byUpn.bind(dc.adminUpn, dc.adminPassword);
    } finally {
      await byUpn.unbind();
    }
  });

  it('refuses a simple bind over plain ldap:// (strongAuthRequired)', async () => {
    const dc = sambaInfo();
    // No tlsOptions here: ldapts would then speak TLS on the ldap:// port.
    const client = new Client({ url: dc.ldapUrl });
    try {
      await expect(client.bind(dc.adminDn, dc.adminPassword)).rejects.toBeInstanceOf(StrongAuthRequiredError);
    } finally {
      await client.unbind();
    }
  });

  it('loads an AD-shaped seed LDIF into the running DC', async () => {
    const dc = sambaInfo();
    const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`;
    const work = mkdtempSync(join(tmpdir(), 'pd-smoke-ad-'));
    const peopleDn = `OU=Smoke People ${tag},${dc.baseDn}`;
    const groupsDn = `OU=Smoke Groups ${tag},${dc.baseDn}`;
    const client = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem }, timeout: 0 });
    try {
      const seed = await writeUsersLdif(join(work, 'ad.ldif'), {
        baseDn: dc.baseDn,
        count: 30,
        groups: [25],
        ad: true,
        containers: true,
        peopleDn,
        groupsDn,
        mailDomain: `${tag}.${dc.dnsDomain}`,
        seed: Date.now() % 100_000,
      });
      // sAMAccountName must be unique in the domain and at most 20 characters. A
      // running number plus the run's tag keeps it unique; a prefix of the seed's
      // own login would not (two logins can share their first characters).
      const { readFileSync, writeFileSync } = await import('node:fs');
      let n = 0;
      const text = readFileSync(seed.path, 'utf8').replace(/^sAMAccountName: .*$/gm, () => {
        n += 1;
        return `sAMAccountName: ${`s${n}${tag}`.slice(0, 20)}`;
      });
      writeFileSync(seed.path, text);
      await loadLdifIntoSamba(dc, seed.path);

      await client.bind(dc.adminDn, dc.adminPassword);
      const users = await client.search(peopleDn, { filter: '(objectClass=user)', attributes: ['objectGUID'] });
      expect(users.searchEntries).toHaveLength(30);
      const group = await client.search(seed.groupDns[0] as string, { scope: 'base', attributes: ['member'] });
      expect(group.searchEntries[0]?.member).toHaveLength(25);
      for (const e of users.searchEntries) await client.del(e.dn);
      await client.del(seed.groupDns[0] as string);
      await client.del(peopleDn);
      await client.del(groupsDn);
    } finally {
      await client.unbind();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('enforces password complexity and lets a user bind with a complex password', async () => {
    const dc = sambaInfo();
    const tag = `${process.pid.toString(36)}${Date.now().toString(36)}`.slice(-10);
    const sam = `smoke${tag}`.slice(0, 20);
    const dn = `CN=Smoke\\, Test ${tag},${dc.usersDn}`;
    const unicodePwd = (p: string): Change =>
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${p}"`, 'utf16le')] }),
      });
    const admin = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem } });
    try {
      await admin.bind(dc.adminDn, dc.adminPassword);
      await admin.add(dn, { objectClass: ['user'], sAMAccountName: sam, userPrincipalName: `${sam}@${dc.dnsDomain}` });
      const created = await admin.search(dn, { scope: 'base', attributes: ['userAccountControl'] });
      expect(created.searchEntries[0]?.userAccountControl).toBe('546');
      await expect(admin.modify(dn, [unicodePwd('alllowercase')])).rejects.toMatchObject({ code: 19 });
      await admin.modify(dn, [unicodePwd('C0mplex!Passw0rd')]);
      await admin.modify(dn, [
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'userAccountControl', values: ['512'] }),
        }),
      ]);
      const user = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem } });
      try {
        await user.bind(`${sam}@${dc.dnsDomain}`, 'C0mplex!Passw0rd');
      } finally {
        await user.unbind();
      }
      await admin.del(dn);
    } finally {
      await admin.unbind();
    }
  });
});
