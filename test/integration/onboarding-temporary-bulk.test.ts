// Bulk temporary passwords as a job, cancelled midway, with a real slapd
// (password-policy overlay) and a real SMTP receiver paused after a few mails.
// A user whose password was set always gets the mail carrying it (the job
// waits for it even when cancelled), and users not reached keep the password
// they had: no password is changed after the cancel.
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { ldapDirConfig, testApp } from '../onboarding/fixtures.ts';
import { mailSettings, SMTP_PASSWORD, SMTP_USER, until } from '../onboarding/bulk.ts';

const INITIAL = 'Initial-Pass-0!x';
let slapd: SlapdServer;
let smtp: SmtpReceiver;
const t = testApp();
const app = t.app;
const people: Array<{ id: string; userName: string; email: string; dn: string }> = [];

async function binds(dn: string, password: string): Promise<boolean> {
  const c = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
  try {
    await c.bind(dn, password);
    return true;
  } catch {
    return false;
  } finally {
    await c.unbind().catch(() => {});
  }
}

beforeAll(async () => {
  slapd = await startSlapd();
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({ ...pair, user: SMTP_USER, password: SMTP_PASSWORD });
  await mailSettings(app, smtp.port, pair.certPem);
  const dir = app.directories.save(
    undefined,
    ldapDirConfig('ldap', 'Staff LDAP', {
      urls: [slapd.ldapsUrl],
      caCertPem: slapd.caCertPem,
      bindDn: slapd.adminDn,
      baseDn: slapd.baseDn,
      userSearchBase: slapd.peopleDn,
      userTargetOu: slapd.peopleDn,
    }),
    { bindPassword: slapd.adminPassword },
  );
  const c = app.directories.connector(dir.id);
  try {
    for (let i = 0; i < 16; i++) {
      const userName = `temp${String(i).padStart(2, '0')}`;
      const data = {
        ...emptyUser(userName),
        displayName: `Temp ${i}`,
        name: { givenName: 'Temp', familyName: `${i}` },
      };
      const r = await c.createUser(data, { password: INITIAL });
      const email = `${userName}@example.test`;
      const u = app.users.create({
        ...data,
        emails: [{ value: email, primary: true }],
        phoneNumbers: [],
        active: true,
      });
      app.repos.links.upsert({
        directoryId: dir.id,
        objectType: 'user',
        localId: u.id,
        anchor: r.anchor,
        ref: r.ref,
        state: 'provisioned',
        reason: null,
        hash: null,
      });
      people.push({ id: u.id, userName, email, dn: r.ref });
    }
  } finally {
    await c.close();
  }
}, 120_000);

afterAll(async () => {
  await smtp?.stop();
  await slapd?.stop();
  await t.dispose();
});

describe('bulk temporary passwords cancelled midway', () => {
  it('mails every password it set; users not reached keep their old password and status', async () => {
    smtp.allow(2);
    const { job, finished } = await app.onboarding.startSend(
      'temporaryPassword',
      people.map((p) => p.id),
    );
    await smtp.waitFor(2);
    await until(() => smtp.waiting > 0, 'a mail held at the receiver');
    expect(app.onboarding.cancelSend(job.id)).toBe(true);
    smtp.allow(Infinity);
    const v = await finished;
    expect(v.state).toBe('cancelled');
    expect(v.failed).toBe(0);
    expect(v.sent).toBe(smtp.mails.length);
    expect(v.sent).toBeGreaterThan(2);
    expect(v.sent + v.notReached.length).toBe(16);

    const mailed = new Map(smtp.mails.map((m) => [m.to[0]!, /temporary password is: (\S+)/.exec(m.text)?.[1]]));
    for (const p of people) {
      const temp = mailed.get(p.email);
      if (temp) {
        // The password in the mail is the one the directory has now.
        expect(await binds(p.dn, temp), p.userName).toBe(true);
        expect(await binds(p.dn, INITIAL)).toBe(false);
        expect(app.onboarding.store.get(p.id)?.status).toBe('temporaryPassword');
      } else {
        expect(await binds(p.dn, INITIAL), p.userName).toBe(true);
        expect(app.onboarding.store.get(p.id)).toBeUndefined();
      }
    }
    const changed = app.db.all<{ user_identifier: string }>(
      "SELECT user_identifier FROM report_entries WHERE action = 'password.temporary'",
    );
    expect(changed.map((r) => r.user_identifier).sort()).toEqual(
      people.filter((p) => mailed.has(p.email)).map((p) => p.userName),
    );
  });
});
