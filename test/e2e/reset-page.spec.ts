// The reset page in Chromium: the real app (in this process) sends an
// activation mail through a real SMTP receiver; the link opens in the browser;
// the page's own script checks the policy as the user types (no inline script
// runs under its CSP, so a console error would show a violation); the
// password then works on a real slapd.
import { test, expect } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src-main/app.ts';
import { emptyUser } from '../../src-main/mapping/model-paths.ts';
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import { startSlapd, freePort, canBind, type SlapdServer } from '../services/slapd.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../onboarding/smtp.ts';
import { resetLinks } from '../onboarding/browser.ts';
import { ldapDirConfig, reachablePortal } from '../onboarding/fixtures.ts';
import { screenshotPath, watchConsole } from './fixtures.ts';

let app: App;
let dataDir: string;
let slapd: SlapdServer;
let smtp: SmtpReceiver;
let userDn = '';
let link = '';

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pd-e2e-reset-'));
  app = createApp({ dataDir, shell: 'test' });
  slapd = await startSlapd();
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
  const data = {
    ...emptyUser('marie.curie'),
    displayName: 'Marie Curie',
    name: { givenName: 'Marie', familyName: 'Curie' },
  };
  const c = app.directories.connector(dir.id);
  const remote = await c.createUser(data, { password: 'Initial-Pass-0!' });
  await c.close();
  userDn = remote.ref;
  const local = app.users.create({
    ...data,
    emails: [{ value: 'marie@example.test', primary: true }],
    phoneNumbers: [],
    active: true,
  });
  app.repos.links.upsert({
    directoryId: dir.id,
    objectType: 'user',
    localId: local.id,
    anchor: remote.anchor,
    ref: remote.ref,
    state: 'provisioned',
    reason: null,
    hash: null,
  });

  const cert = await generateSelfSigned(['localhost', '127.0.0.1']);
  smtp = await startSmtpReceiver({ ...cert, user: 'mailer', password: 'Smtp-Secret-42!' });
  await app.onboarding.saveSettings(
    onboardingSettingsSchema.parse({
      mail: {
        transport: 'smtp',
        fromAddress: 'it@example.test',
        smtp: { host: '127.0.0.1', port: smtp.port, username: 'mailer', caPem: cert.certPem },
      },
      portal: reachablePortal(await freePort()),
    }),
    { smtpPassword: 'Smtp-Secret-42!' },
  );
  await app.onboarding.startPortal();
  const r = await app.onboarding.sendActivation([local.id]);
  expect(r.sent).toBe(1);
  const [mail] = await smtp.waitFor(1);
  link = resetLinks(mail!.text)[0]!;
});

test.afterAll(async () => {
  await app?.close();
  await smtp?.stop();
  await slapd?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test.use({ ignoreHTTPSErrors: true });

test('the reset page checks the policy as the user types and sets the password', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await expect(page.locator('#who-name')).toHaveText('Marie Curie');
  await expect(page.locator('#who-user')).toHaveText('marie.curie');

  // Typing: the rules turn green or red (the page's script runs under its CSP).
  await page.getByLabel('New password').fill('curie');
  await expect(page.locator('li[data-rule="length"]')).toHaveClass('bad');
  await expect(page.locator('li[data-rule="name"]')).toHaveClass('bad');
  // A weak password is stopped in the browser: no request leaves the page.
  let posted = 0;
  page.on('request', (r) => r.method() === 'POST' && posted++);
  await page.getByLabel('Type it again').fill('curie');
  await page.getByRole('button', { name: 'Set my password' }).click();
  await expect(page.locator('#client-errors')).toBeVisible();
  await expect(page.locator('#client-errors')).toContainText('Use at least 12 characters.');
  await expect(page.locator('#client-errors')).toContainText('Do not use your user name or your name');
  expect(posted).toBe(0);

  const good = 'Radium-Polonium-1898';
  await page.getByLabel('New password').fill(good);
  await page.getByLabel('Type it again').fill(good);
  for (const rule of ['length', 'classes', 'name', 'match'])
    await expect(page.locator(`li[data-rule="${rule}"]`)).toHaveClass('ok');
  await page.screenshot({ path: screenshotPath('reset-page'), fullPage: true });

  await page.getByRole('button', { name: 'Set my password' }).click();
  await expect(page.getByRole('heading', { name: 'Your password is set' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('reset-page-done'), fullPage: true });
  expect(posted).toBe(1);
  expect(await canBind(slapd.ldapsUrl, userDn, good, slapd.caCertPem)).toBe(true);

  // The link is used up: the same answer as any invalid link.
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'This link cannot be used' })).toBeVisible();
  expect(errors.filter((e) => !/404/.test(e))).toEqual([]);
});
