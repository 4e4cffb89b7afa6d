// Mail transports against real receivers: smtp-server (STARTTLS and implicit
// TLS, authentication, a private CA) and Microsoft Graph sendMail on the
// emulator. The SMTP password never comes back through the bridge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/bridge/dispatch.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { onboardingSettingsSchema, type MailSettings } from '../../src-preload/contract/onboarding.ts';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { entraConfig, GRAPH_ROLES, reachablePortal, testApp } from '../onboarding/fixtures.ts';
import { freePort } from '../services/slapd.ts';

const SMTP_USER = 'mailer@example.test';
const SMTP_PASSWORD = 'Smtp-Secret-42!';

let starttls: SmtpReceiver;
let implicit: SmtpReceiver;
let caPem: string;
let emu: GraphEmulator;
const t = testApp();
const app = t.app;

const smtp = (port: number, over: Partial<MailSettings['smtp']> = {}): MailSettings =>
  onboardingSettingsSchema.parse({
    mail: {
      transport: 'smtp',
      fromAddress: 'it@example.test',
      fromName: 'IT',
      smtp: { host: '127.0.0.1', port, security: 'starttls', username: SMTP_USER, caPem, ...over },
    },
  }).mail;

beforeAll(async () => {
  const pair = await generateSelfSigned(['localhost', '127.0.0.1']);
  caPem = pair.certPem;
  starttls = await startSmtpReceiver({ ...pair, user: SMTP_USER, password: SMTP_PASSWORD });
  implicit = await startSmtpReceiver({ ...pair, user: SMTP_USER, password: SMTP_PASSWORD, implicitTls: true });
  emu = await startGraphEmulator();
  emu.addApp({ clientId: 'mailer-app', secret: 'graph-secret', roles: GRAPH_ROLES });
  emu.seedUsers([
    {
      userPrincipalName: `helpdesk@${emu.tenantDomain}`,
      displayName: 'Help Desk',
      mailNickname: 'helpdesk',
      accountEnabled: true,
    },
  ]);
});

afterAll(async () => {
  await starttls?.stop();
  await implicit?.stop();
  await emu?.stop();
  await t.dispose();
});

describe('SMTP', () => {
  it('sends a test mail over STARTTLS with authentication, trusting the configured CA', async () => {
    const before = starttls.mails.length;
    const r = await app.onboarding.sendTestMail({
      to: 'admin@example.test',
      mail: smtp(starttls.port),
      smtpPassword: SMTP_PASSWORD,
    });
    expect(r.sent).toBe(true);
    const [mail] = (await starttls.waitFor(before + 1)).slice(before);
    expect(mail!.to).toEqual(['admin@example.test']);
    expect(mail!.from).toBe('it@example.test');
    expect(mail!.user).toBe(SMTP_USER);
    expect(mail!.secure).toBe(true);
    expect(mail!.subject).toBe('Provision Desk test mail');
    expect(mail!.text).toContain('SMTP 127.0.0.1');
  });

  it('sends over implicit TLS', async () => {
    const r = await app.onboarding.sendTestMail({
      to: 'admin@example.test',
      mail: smtp(implicit.port, { security: 'tls' }),
      smtpPassword: SMTP_PASSWORD,
    });
    expect(r.transport).toBe(`SMTP 127.0.0.1:${implicit.port}`);
    const [mail] = await implicit.waitFor(1);
    expect(mail!.secure).toBe(true);
  });

  it('says precisely what is wrong: a wrong password, an untrusted certificate', async () => {
    await expect(
      app.onboarding.sendTestMail({ to: 'a@example.test', mail: smtp(starttls.port), smtpPassword: 'wrong' }),
    ).rejects.toMatchObject({
      code: 'invalid_credentials',
      message: `The SMTP server 127.0.0.1:${starttls.port} refused the user name or password.`,
    });
    await expect(
      app.onboarding.sendTestMail({
        to: 'a@example.test',
        mail: smtp(starttls.port, { caPem: '' }),
        smtpPassword: SMTP_PASSWORD,
      }),
    ).rejects.toMatchObject({
      code: 'certificate_untrusted',
    });
  });

  it('keeps the SMTP password in the vault: the bridge only says there is one, and the saved one is used', async () => {
    const settings = onboardingSettingsSchema.parse({ mail: smtp(starttls.port) });
    const saved = await dispatch(app, 'onboarding.settings.save', {
      settings,
      secrets: { smtpPassword: SMTP_PASSWORD },
    });
    expect(saved.ok).toBe(true);
    const view = await dispatch(app, 'onboarding.settings.get', {});
    expect(view.ok && (view.value as { hasSmtpPassword: boolean }).hasSmtpPassword).toBe(true);
    expect(JSON.stringify(view)).not.toContain(SMTP_PASSWORD);
    const before = starttls.mails.length;
    const sent = await dispatch(app, 'onboarding.mail.test', { to: 'saved@example.test' });
    expect(sent.ok).toBe(true);
    expect((await starttls.waitFor(before + 1)).at(-1)!.to).toEqual(['saved@example.test']);
    const failed = await dispatch(app, 'onboarding.mail.test', { to: 'x@example.test', smtpPassword: 'nope' });
    expect(failed.ok).toBe(false);
    expect(JSON.stringify(failed)).not.toContain('nope');
  });

  it('never sends the saved SMTP password to another server, nor without TLS beyond this computer', async () => {
    const settings = onboardingSettingsSchema.parse({ mail: smtp(starttls.port) });
    await app.onboarding.saveSettings(settings, { smtpPassword: SMTP_PASSWORD });
    const before = implicit.mails.length;
    // Both receivers take the same password: only the check stops it from going to the other one.
    await expect(
      app.onboarding.sendTestMail({ to: 'a@example.test', mail: smtp(implicit.port, { security: 'tls' }) }),
    ).rejects.toMatchObject({ code: 'secret_required' });
    expect(implicit.mails.length).toBe(before);
    const moved = await dispatch(app, 'onboarding.settings.save', {
      settings: { ...settings, mail: smtp(implicit.port, { security: 'tls' }) },
      secrets: {},
    });
    expect(moved).toMatchObject({ ok: false, error: { code: 'secret_required' } });
    expect(app.onboarding.store.settings().mail.smtp.port).toBe(starttls.port);
    await expect(
      app.onboarding.sendTestMail({
        to: 'a@example.test',
        mail: smtp(25, { host: 'mail.example.test', security: 'none' }),
        smtpPassword: SMTP_PASSWORD,
      }),
    ).rejects.toMatchObject({ code: 'tls_required' });
  });
});

describe('Microsoft Graph sendMail', () => {
  it('sends from the chosen mailbox of an Entra directory', async () => {
    const dir = app.directories.save(undefined, entraConfig(emu, 'mailer-app'), { clientSecret: 'graph-secret' });
    const mail = onboardingSettingsSchema.parse({
      mail: {
        transport: 'graph',
        fromAddress: '',
        graph: { directoryId: dir.id, mailbox: `helpdesk@${emu.tenantDomain}` },
      },
    }).mail;
    const r = await app.onboarding.sendTestMail({ to: 'someone@example.test', mail });
    expect(r.transport).toBe(`Microsoft Graph (helpdesk@${emu.tenantDomain})`);
    const sent = emu.sentMail.at(-1)!;
    expect(sent.from).toBe(`helpdesk@${emu.tenantDomain}`);
    expect(sent.message.subject).toBe('Provision Desk test mail');
    expect(sent.message.toRecipients).toEqual([{ emailAddress: { address: 'someone@example.test' } }]);
    expect(sent.message.body.contentType).toBe('HTML');
  });

  it("reports a missing mailbox in the admin's words", async () => {
    const dir = app.directories.list().find((d) => d.config.kind === 'entra')!;
    const mail = onboardingSettingsSchema.parse({
      mail: { transport: 'graph', graph: { directoryId: dir.id, mailbox: `nobody@${emu.tenantDomain}` } },
    }).mail;
    await expect(app.onboarding.sendTestMail({ to: 'someone@example.test', mail })).rejects.toMatchObject({
      message: expect.stringContaining(`nobody@${emu.tenantDomain}`),
    });
  });
});

describe('templates', () => {
  it("previews the activation mail with a user's values, escaped in HTML", async () => {
    const u = app.users.create({
      userName: 'o.brien',
      displayName: "Miles <O'Brien>",
      name: {},
      emails: [],
      phoneNumbers: [],
      active: true,
    });
    const p = await dispatch(app, 'onboarding.template.preview', { kind: 'activation', userId: u.id });
    expect(p.ok).toBe(true);
    const v = (p as { value: { subject: string; html: string; text: string } }).value;
    expect(v.subject).toBe('Activate your account o.brien');
    expect(v.html).toContain('Miles &#60;O&#39;Brien&#62;');
    expect(v.text).toContain("Miles <O'Brien>");
    expect(v.text).toMatch(/https:\/\/127\.0\.0\.1:8443\/reset\?t=PREVIEW-ONLY/);
  });
});

describe('activation mail to users who cannot get one', () => {
  it('needs the portal running, then marks each user failed with the reason', async () => {
    const noMail = app.users.create({ userName: 'no.mail', name: {}, emails: [], phoneNumbers: [], active: true });
    const unlinked = app.users.create({
      userName: 'unlinked',
      name: {},
      emails: [{ value: 'unlinked@example.test', primary: true }],
      phoneNumbers: [],
      active: true,
    });
    await expect(app.onboarding.sendActivation([noMail.id])).rejects.toMatchObject({ code: 'portal_stopped' });
    const s = app.onboarding.store.settings();
    await app.onboarding.saveSettings(
      // Links through an address other devices reach (a loopback one is refused before anything is sent).
      { ...s, mail: smtp(starttls.port), portal: { ...s.portal, ...reachablePortal(await freePort()) } },
      { smtpPassword: SMTP_PASSWORD },
    );
    await app.onboarding.startPortal();
    const before = starttls.mails.length;
    const r = await app.onboarding.sendActivation([noMail.id, unlinked.id, 'no-such-id']);
    expect(r.sent).toBe(0);
    expect(r.results.map((x) => x.message)).toEqual([
      'The user has no e-mail address.',
      'The user is not linked to any directory where Password Sync is on.',
      'The user was not found.',
    ]);
    expect(starttls.mails.length).toBe(before);
    expect(app.users.get(noMail.id).onboarding).toMatchObject({
      status: 'failed',
      reason: 'The user has no e-mail address.',
    });
    expect(app.users.list().find((u) => u.id === unlinked.id)?.onboarding).toBe('failed');
    const entries = app.db.all<{ action: string; status: string }>(
      "SELECT action, status FROM report_entries WHERE user_identifier IN ('no.mail', 'unlinked')",
    );
    expect(entries).toEqual([
      { action: 'activation.sent', status: 'failure' },
      { action: 'activation.sent', status: 'failure' },
    ]);
    await app.onboarding.stopPortal();
  });
});
