// Onboarding end to end with real servers: activation mails through a real
// SMTP receiver, the reset portal over HTTPS driven as a browser would, and
// the password landing in Samba AD (unicodePwd), OpenLDAP (Password Modify)
// and Entra ID (the Graph emulator's passwordProfile).
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { startSlapd, freePort, type SlapdServer } from '../services/slapd.ts';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import { createGraphConnector } from '../../src-main/connectors/graph/index.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import type { DirectoryView } from '../../src-preload/directory.ts';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from '../onboarding/smtp.ts';
import { formFields, PortalBrowser, resetLinks } from '../onboarding/browser.ts';
import { entraConfig, GRAPH_ROLES, ldapDirConfig, reachablePortal, testApp } from '../onboarding/fixtures.ts';
import { main as cliMain } from '../../src-main/cli.ts';

const info = sambaInfo();
const TAG = randomBytes(3).toString('hex');
const AD_ROOT = `OU=pd-onboarding-${TAG},${info.baseDn}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'Smtp-Secret-42!';
const PER_TOKEN = 4;

interface Person {
  userName: string;
  localId: string;
  email: string;
  adRef: string;
  ldapRef: string;
  graphId: string;
}

let slapd: SlapdServer;
let emu: GraphEmulator;
let smtp: SmtpReceiver;
let adAdmin: Client;
let portalCa: string;
let dirs: { ad: DirectoryView; ldap: DirectoryView; entra: DirectoryView };
const people: Person[] = [];
const t = testApp({ perToken: PER_TOKEN, perAddress: 1000, pageViewsPerAddress: 1000 });
const app = t.app;
/** Every password the tests choose, to prove none of them is kept anywhere. */
const chosen: string[] = [];

const adConn = {
  urls: [info.ldapsUrl],
  caCertPem: info.caCertPem,
  bindDn: info.adminUpn,
  baseDn: info.baseDn,
  userSearchBase: AD_ROOT,
  userTargetOu: AD_ROOT,
  upnSuffix: info.dnsDomain,
};

async function bindOk(url: string, ca: string, who: string, password: string): Promise<string> {
  const c = new Client({ url, tlsOptions: { ca } });
  try {
    await c.bind(who, password);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  } finally {
    await c.unbind().catch(() => {});
  }
}
const adBind = (p: Person, pw: string) => bindOk(info.ldapsUrl, info.caCertPem, `${p.userName}@${info.dnsDomain}`, pw);
const ldapBind = (p: Person, pw: string) => bindOk(slapd.ldapsUrl, slapd.caCertPem, p.ldapRef, pw);
/** pwdReset of the person's slapd entry, read as the admin ('' when absent). */
async function ldapPwdReset(p: Person): Promise<string> {
  const c = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: slapd.caCertPem } });
  try {
    await c.bind(slapd.adminDn, slapd.adminPassword);
    const [e] = (await c.search(p.ldapRef, { scope: 'base', attributes: ['pwdReset'] })).searchEntries;
    return ([] as unknown[])
      .concat(e?.pwdReset ?? [])
      .map(String)
      .join(',');
  } finally {
    await c.unbind().catch(() => {});
  }
}
const graphUpdates = (p: Person) => emu.passwordChanges.filter((c) => c.userId === p.graphId && c.source === 'update');
const status = (p: Person) => app.users.get(p.localId).onboarding;
const mailTo = (p: Person, from = 0) => smtp.mails.slice(from).filter((m) => m.to.includes(p.email));
const linkOf = (m: ReceivedMail) => {
  const links = resetLinks(m.text);
  expect(links).toHaveLength(1);
  return links[0]!;
};
const browser = () => new PortalBrowser(portalCa);

beforeAll(async () => {
  // The three directories, each with its own copy of the people.
  slapd = await startSlapd();
  emu = await startGraphEmulator();
  emu.addApp({
    clientId: 'onboarding-app',
    secret: 'graph-secret',
    roles: GRAPH_ROLES,
    directoryRoles: ['User Administrator'],
  });
  adAdmin = new Client({ url: info.ldapsUrl, tlsOptions: { ca: info.caCertPem } });
  await adAdmin.bind(info.adminUpn, info.adminPassword);
  await adAdmin.add(AD_ROOT, { objectClass: ['top', 'organizationalUnit'], ou: `pd-onboarding-${TAG}` });

  dirs = {
    ad: app.directories.save(undefined, ldapDirConfig('activeDirectory', 'Corp AD', adConn), {
      bindPassword: info.adminPassword,
    }),
    ldap: app.directories.save(
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
    ),
    entra: app.directories.save(undefined, entraConfig(emu, 'onboarding-app'), { clientSecret: 'graph-secret' }),
  };
  const ad = app.directories.connector(dirs.ad.id);
  const ldap = app.directories.connector(dirs.ldap.id);
  const entra = createGraphConnector(app.directories.record(dirs.entra.id).config, { clientSecret: 'graph-secret' });
  try {
    for (let i = 1; i <= 3; i++) {
      const userName = `pdo${i}${TAG}`;
      const email = `${userName}@example.test`;
      const data = {
        ...emptyUser(userName),
        displayName: `Onboard Person${i}`,
        name: { givenName: 'Onboard', familyName: `Person${i}` },
      };
      const initial = `Init-${TAG}-${i}-Xq9!`;
      // Through the real connectors, as provisioning would have made them.
      const a = await ad.createUser(data, { password: initial });
      const l = await ldap.createUser(data, { password: initial });
      const g = await entra.createUser(data, { password: initial });
      const local = app.users.create({
        ...data,
        emails: [{ value: email, primary: true }],
        phoneNumbers: [],
        active: true,
      });
      for (const [dir, r] of [
        [dirs.ad, a],
        [dirs.ldap, l],
        [dirs.entra, g],
      ] as const)
        app.repos.links.upsert({
          directoryId: dir.id,
          objectType: 'user',
          localId: local.id,
          anchor: r.anchor,
          ref: r.ref,
          state: 'provisioned',
          reason: null,
          hash: null,
        });
      people.push({ userName, localId: local.id, email, adRef: a.ref, ldapRef: l.ref, graphId: g.ref });
    }
  } finally {
    await Promise.all([ad.close(), ldap.close(), entra.close()]);
  }

  // Mail through the real receiver (STARTTLS, authentication, its CA), the portal on a free port.
  const smtpCert = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({ ...smtpCert, user: SMTP_USER, password: SMTP_PASSWORD });
  const settings = onboardingSettingsSchema.parse({
    mail: {
      transport: 'smtp',
      fromAddress: 'it@example.test',
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'starttls', username: SMTP_USER, caPem: smtpCert.certPem },
    },
    portal: reachablePortal(await freePort()),
  });
  await app.onboarding.saveSettings(settings, { smtpPassword: SMTP_PASSWORD });
  const portal = await app.onboarding.startPortal();
  expect(portal.running).toBe(true);
  expect(portal.warnings.join(' ')).toMatch(/self-signed/);
  portalCa = app.vault.get<{ certPem: string }>('onboarding:portal-self-signed')!.certPem;
}, 300_000);

afterAll(async () => {
  await t.dispose();
  await smtp?.stop();
  await emu?.stop();
  await slapd?.stop();
  if (adAdmin) {
    await adAdmin.del(AD_ROOT, new Control(TREE_DELETE)).catch(() => {});
    await adAdmin.unbind().catch(() => {});
  }
}, 120_000);

describe('activation mail', () => {
  it('sends one mail to each of three users; each link opens the reset page for that user', async () => {
    const r = await app.onboarding.sendActivation(people.map((p) => p.localId));
    expect(r.results.map((x) => x.message).filter((_, i) => !r.results[i]!.ok)).toEqual([]);
    expect(r.sent).toBe(3);
    const mails = await smtp.waitFor(3);
    expect(mails).toHaveLength(3);
    for (const p of people) {
      const [m] = mailTo(p);
      expect(m, `mail to ${p.email}`).toBeDefined();
      expect(m!.secure).toBe(true);
      expect(m!.subject).toBe(`Activate your account ${p.userName}`);
      const link = linkOf(m!);
      expect(m!.html).toContain(link.replace(/=/g, '&#61;'));
      expect(link.startsWith(app.onboarding.publicBase())).toBe(true);
      const page = await browser().get(link);
      expect(page.status).toBe(200);
      expect(page.body).toContain(p.userName);
      expect(page.body).toContain('Choose your password');
      expect(status(p).status).toBe('invited');
      expect(status(p).expiresAt! > new Date(Date.now() + 71 * 3600_000).toISOString()).toBe(true);
    }
    // Only the hash is stored.
    const rows = app.db.all<{ token_hash: string }>('SELECT token_hash FROM onboarding');
    for (const p of people) {
      const token = new URL(linkOf(mailTo(p)[0]!)).searchParams.get('t')!;
      expect(rows.some((row) => row.token_hash.includes(token))).toBe(false);
    }
  });
});

describe('reset page', () => {
  it('sets the password in Samba AD, OpenLDAP and Entra ID; the user is activated; reports name no password', async () => {
    const p = people[0]!;
    const password = `Fresh-${TAG}-Pass-1`;
    chosen.push(password);
    expect(await adBind(p, password)).not.toBe('ok');
    const b = browser();
    const page = await b.get(linkOf(mailTo(p)[0]!));
    const f = formFields(page.body)!;
    const done = await b.post(new URL(f.action, linkOf(mailTo(p)[0]!)).href, {
      t: f.t,
      csrf: f.csrf,
      password,
      confirm: password,
    });
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your password is set');

    expect(await adBind(p, password)).toBe('ok');
    expect(await ldapBind(p, password)).toBe('ok');
    expect(graphUpdates(p)).toEqual([
      expect.objectContaining({ forceChangePasswordNextSignIn: false, source: 'update' }),
    ]);
    expect(status(p).status).toBe('activated');
    expect(status(p).activatedAt).toBeTruthy();

    const entries = app.db.all<Record<string, unknown>>(
      'SELECT * FROM report_entries WHERE user_identifier = ?',
      p.userName,
    );
    const actions = entries.map((e) => `${e.action}:${e.application}:${e.status}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'activation.sent:Onboarding:success',
        'password.set:Corp AD:success',
        'password.set:Staff LDAP:success',
        'password.set:Entra (emulator):success',
        'activation.completed:Onboarding:success',
      ]),
    );
    expect(JSON.stringify(entries)).not.toContain(password);
  });

  it('refuses a used link, an expired link and a forged link with the same answer', async () => {
    const b = browser();
    const used = await b.get(linkOf(mailTo(people[0]!)[0]!));
    // Expire person 2's link in the store (the clock moved on).
    app.db.run(
      "UPDATE onboarding SET token_expires = '2000-01-01T00:00:00.000Z' WHERE user_id = ?",
      people[1]!.localId,
    );
    const expiredLink = linkOf(mailTo(people[1]!)[0]!);
    const expired = await b.get(expiredLink);
    const forged = await b.get(`${app.onboarding.publicBase()}/reset?t=${'A'.repeat(43)}`);
    for (const r of [used, expired, forged]) {
      expect(r.status).toBe(404);
      expect(r.body).toBe(used.body);
    }
    expect(used.body).toContain('This link cannot be used');
    // Posting to an expired link does not set anything either.
    const pw = `Never-${TAG}-Set-2`;
    chosen.push(pw);
    const f = formFields((await browser().get(linkOf(mailTo(people[2]!)[0]!))).body)!; // a valid page, for a valid CSRF shape
    const post = await b.post(`${app.onboarding.publicBase()}/reset`, {
      t: new URL(expiredLink).searchParams.get('t')!,
      csrf: f.csrf,
      password: pw,
      confirm: pw,
    });
    expect([403, 404]).toContain(post.status);
    expect(await ldapBind(people[1]!, pw)).not.toBe('ok');
    expect(app.onboarding.sweep()).toBe(1);
    expect(status(people[1]!).status).toBe('expired');
  });

  it('refuses a post without the CSRF token and a too-weak password; then the token is rate limited', async () => {
    const p = people[2]!;
    const link = linkOf(mailTo(p)[0]!);
    const b = browser();
    const f = formFields((await b.get(link)).body)!;
    const good = `Good-${TAG}-Pass-3`;
    chosen.push(good);
    const noCsrf = await b.post(`${app.onboarding.publicBase()}/reset`, { t: f.t, password: good, confirm: good });
    expect(noCsrf.status).toBe(403);
    expect(await ldapBind(p, good)).not.toBe('ok');
    const weak = await b.post(`${app.onboarding.publicBase()}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: 'weak',
      confirm: 'weak',
    });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('Use at least 12 characters.');
    // Attempts so far: 2 of PER_TOKEN. Use up the rest, then even a good password is refused.
    for (let i = 2; i < PER_TOKEN; i++)
      expect(
        (
          await b.post(`${app.onboarding.publicBase()}/reset`, {
            t: f.t,
            csrf: f.csrf,
            password: 'weak',
            confirm: 'weak',
          })
        ).status,
      ).toBe(400);
    const limited = await b.post(`${app.onboarding.publicBase()}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: good,
      confirm: good,
    });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('Too many attempts');
    expect(await adBind(p, good)).not.toBe('ok');
    expect(await ldapBind(p, good)).not.toBe('ok');
    expect(graphUpdates(p)).toEqual([]);
    expect(status(p).status).toBe('invited');
  });

  it("a new mail replaces the old link; a directory's stricter rule is shown as the directory said it", async () => {
    const p = people[2]!;
    const oldLink = linkOf(mailTo(p)[0]!);
    const before = smtp.mails.length;
    expect((await app.onboarding.sendActivation([p.localId])).sent).toBe(1);
    await smtp.waitFor(before + 1);
    const newLink = linkOf(mailTo(p, before)[0]!);
    expect(newLink).not.toBe(oldLink);
    expect((await browser().get(oldLink)).status).toBe(404);

    // The app's own policy is looser than the domain's: AD and Entra refuse a lower-case-only password.
    const s = app.onboarding.store.settings();
    await app.onboarding.saveSettings({ ...s, policy: { minLength: 8, minClasses: 0, forbidUserName: false } }, {});
    const b = browser();
    const f = formFields((await b.get(newLink)).body)!;
    const simple = `onlylowercase${TAG.replace(/\d/g, 'x')}`;
    chosen.push(simple);
    const refused = await b.post(`${app.onboarding.publicBase()}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: simple,
      confirm: simple,
    });
    expect(refused.status, refused.body).toBe(422);
    expect(refused.body).toContain('The password was not accepted');
    expect(refused.body).toContain('password rules do not accept this password');
    // The public page names no internal directory; the report keeps the details.
    expect(refused.body).not.toContain('Corp AD');
    expect(refused.body).not.toContain('Entra (emulator)');
    expect(refused.body).not.toContain(simple);
    expect(await adBind(p, simple)).not.toBe('ok');
    expect(status(p).status).toBe('failed');
    expect(status(p).reason).toMatch(/refused/);
    await app.onboarding.saveSettings({ ...s }, {});

    const strong = `Strong-${TAG}-Pass-4`;
    chosen.push(strong);
    const done = await b.post(`${app.onboarding.publicBase()}/reset`, {
      t: f.t,
      csrf: f.csrf,
      password: strong,
      confirm: strong,
    });
    expect(done.status, done.body).toBe(200);
    expect(await adBind(p, strong)).toBe('ok');
    expect(await ldapBind(p, strong)).toBe('ok');
    expect(graphUpdates(p).at(-1)).toMatchObject({ forceChangePasswordNextSignIn: false });
    expect(status(p).status).toBe('activated');
  });
});

describe('temporary password', () => {
  it('sets a password that must be changed at next sign-in and mails it', async () => {
    const p = people[1]!;
    const before = smtp.mails.length;
    const r = await app.onboarding.sendTemporaryPassword([p.localId]);
    await smtp.waitFor(before + 1);
    const [m] = mailTo(p, before);
    const temp = /temporary password is: (\S+)/.exec(m!.text)?.[1];
    expect(temp).toBeTruthy();
    chosen.push(temp!);
    // AD: the password is right but must be changed first (data 773).
    expect(await adBind(p, temp!)).toMatch(/data 773/);
    expect(graphUpdates(p).at(-1)).toMatchObject({ forceChangePasswordNextSignIn: true });
    // OpenLDAP with the password-policy overlay: the password binds, and ppolicy records the forced change (pwdReset).
    expect(slapd.ppolicy).toBe(true);
    expect(await ldapBind(p, temp!)).toBe('ok');
    expect(await ldapPwdReset(p)).toBe('TRUE');
    expect(r.results[0]).toMatchObject({ ok: true });
    expect(r.results[0]!.message).toMatch(/must be changed at the next sign-in\.$/);
    const entries = app.db.all<Record<string, unknown>>(
      "SELECT * FROM report_entries WHERE action LIKE 'password.temporary' AND user_identifier = ?",
      p.userName,
    );
    expect(entries.map((e) => `${e.application}:${e.status}`).sort()).toEqual([
      'Corp AD:success',
      'Entra (emulator):success',
      'Staff LDAP:success',
    ]);
    expect(status(p).status).toBe('temporaryPassword');
  });
});

describe('a disabled account', () => {
  /** A user whose Corp AD account is disabled (never activated), linked there only. */
  async function disabledPerson(n: number): Promise<Person> {
    const userName = `pdd${n}${TAG}`;
    const email = `${userName}@example.test`;
    const data = { ...emptyUser(userName), displayName: `Disabled Person${n}`, active: false };
    const ad = app.directories.connector(dirs.ad.id);
    try {
      const a = await ad.createUser(data, { password: `Init-${TAG}-${n}-Dq7!` });
      const local = app.users.create({ ...data, emails: [{ value: email, primary: true }], phoneNumbers: [] });
      app.repos.links.upsert({
        directoryId: dirs.ad.id,
        objectType: 'user',
        localId: local.id,
        anchor: a.anchor,
        ref: a.ref,
        state: 'provisioned',
        reason: null,
        hash: null,
      });
      return { userName, localId: local.id, email, adRef: a.ref, ldapRef: '', graphId: '' };
    } finally {
      await ad.close();
    }
  }

  /** `provision-desk --data-dir … <args>` in this process; stdout and the exit code. */
  async function cli(...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const io = {
      stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
      stderr: { write: () => true },
      onInterrupt: () => () => {},
    };
    const code = await cliMain(['--data-dir', app.options.dataDir, ...args], io);
    return { code, out };
  }

  /** Opens the person's newest link and sets the password on the reset page. */
  async function setOnPortal(p: Person, from: number, password: string) {
    const link = linkOf(mailTo(p, from)[0]!);
    const b = browser();
    const f = formFields((await b.get(link)).body)!;
    return b.post(new URL(f.action, link).href, { t: f.t, csrf: f.csrf, password, confirm: password });
  }

  it('sent with --enable-on-activation: enabled in AD and active when the password is set; binds as the user', async () => {
    const p = await disabledPerson(1);
    expect(app.onboarding.checkSend([p.localId]).disabled).toEqual([
      { id: p.localId, userName: p.userName, neverActivated: true },
    ]);
    const before = smtp.mails.length;
    const sent = await cli('onboarding', 'send', p.userName, '--enable-on-activation', '--json');
    expect(sent.code, sent.out).toBe(0);
    await smtp.waitFor(before + 1);
    const password = `Enable-${TAG}-Pass-5`;
    chosen.push(password);
    // Disabled until the user sets the password: AD refuses the bind (data 533), even with a right password.
    expect(await adBind(p, `Init-${TAG}-1-Dq7!`)).toMatch(/data 533/);

    const done = await setOnPortal(p, before, password);
    expect(done.status, done.body).toBe(200);
    expect(done.body).toContain('Your new password works now');
    expect(await adBind(p, password)).toBe('ok');
    expect(app.repos.users.get(p.localId)!.active).toBe(true);
    expect(status(p)).toMatchObject({ status: 'activated' });
    expect(status(p).reason).toBeUndefined();
    const actions = app.db
      .all<{
        action: string;
        application: string;
        status: string;
      }>('SELECT action, application, status FROM report_entries WHERE user_identifier = ?', p.userName)
      .map((e) => `${e.action}:${e.application}:${e.status}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'password.set:Corp AD:success',
        'account.enabled:Corp AD:success',
        'activation.completed:Onboarding:success',
      ]),
    );
  });

  it('sent with --keep-disabled: the page, the status and the CLI say why it cannot sign in; AD refuses the bind', async () => {
    const p = await disabledPerson(2);
    // Without either flag, an account never activated is enabled on activation; the resend below overrides it.
    const first = smtp.mails.length;
    expect((await cli('onboarding', 'send', p.userName)).code).toBe(0);
    await smtp.waitFor(first + 1);
    expect(app.onboarding.store.get(p.localId)?.enableOnActivation).toBe(true);
    const before = smtp.mails.length;
    const sent = await cli('onboarding', 'send', p.userName, '--keep-disabled', '--json');
    expect(sent.code, sent.out).toBe(0);
    await smtp.waitFor(before + 1);
    expect(app.onboarding.store.get(p.localId)?.enableOnActivation).toBe(false);
    const password = `Kept-${TAG}-Pass-6`;
    chosen.push(password);

    const page = await setOnPortal(p, before, password);
    expect(page.status, page.body).toBe(200);
    expect(page.body).toContain('cannot be used to sign in yet');
    expect(page.body).not.toContain('works now');
    expect(page.body).not.toContain('Corp AD');
    // The password is set (AD answers "account disabled", not "wrong password"), and the account stays disabled.
    expect(await adBind(p, password)).toMatch(/data 533/);
    expect(app.repos.users.get(p.localId)!.active).toBe(false);
    expect(status(p)).toMatchObject({
      status: 'passwordSet',
      reason: 'Password set; account still disabled in Corp AD.',
    });

    const listed = await cli('onboarding', 'status', '--state', 'password-set');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`${p.userName}\tpassword-set\t${p.email}`);
    expect(listed.out).toContain('Password set; account still disabled in Corp AD.');
    const json = JSON.parse((await cli('onboarding', 'status', '--json')).out) as {
      users: Array<{ userName: string; status: string; reason?: string }>;
    };
    expect(json.users.find((u) => u.userName === p.userName)).toMatchObject({
      status: 'password-set',
      reason: 'Password set; account still disabled in Corp AD.',
    });
    const report = app.db.get<{ status: string; message: string }>(
      "SELECT status, message FROM report_entries WHERE user_identifier = ? AND action = 'activation.completed'",
      p.userName,
    );
    expect(report).toMatchObject({ status: 'failure' });
    expect(report!.message).toContain('cannot sign in yet: Password set; account still disabled in Corp AD.');

    // Made active in the app while Corp AD still has it disabled: still not Activated.
    const { user } = app.users.get(p.localId);
    app.users.update(p.localId, { ...user, active: true });
    expect(await app.onboarding.recheckSignIn()).toBe(0);
    expect(status(p).status).toBe('passwordSet');
    // Enabled in Corp AD too (as an admin there would): the next look after a change says Activated.
    const ad = app.directories.connector(dirs.ad.id);
    await ad.setUserEnabled(p.adRef, true).finally(() => ad.close());
    app.events.emit('app.changed', { what: 'outbox' });
    await expect.poll(() => status(p).status, { timeout: 10_000 }).toBe('activated');
    expect(status(p).reason).toBeUndefined();
    expect(await adBind(p, password)).toBe('ok');
  });
});

describe('no password is kept', () => {
  it('appears nowhere in the data file, its journal, or the reports', () => {
    app.db.sqlite.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const file = join(app.options.dataDir, 'provision-desk.sqlite');
    const blobs = [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f));
    const reports = JSON.stringify(app.db.all('SELECT * FROM report_entries'));
    expect(chosen.length).toBeGreaterThanOrEqual(5);
    for (const pw of chosen) {
      expect(reports).not.toContain(pw);
      for (const b of blobs) {
        expect(b.includes(Buffer.from(pw, 'utf8'))).toBe(false);
        expect(b.includes(Buffer.from(pw, 'utf16le'))).toBe(false);
      }
    }
  });
});
