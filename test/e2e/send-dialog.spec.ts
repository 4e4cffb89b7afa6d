// The send dialog tells the truth before anything is sent, in browser mode
// with a real SMTP receiver: a send refused while the portal's address is
// loopback (with the way to Settings), then the users who already have a
// pending link that a new mail cancels, the disabled accounts (new ones are
// enabled on activation by default; here left out), and the selection cleared
// after the send.
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { createApp } from '../../src-main/app.ts';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import { freePort } from '../services/slapd.ts';
import { reachablePortal } from '../onboarding/fixtures.ts';
import { startSmtpReceiver } from '../onboarding/smtp.ts';
import { seedMailUsers, SMTP_PASSWORD, SMTP_USER } from '../onboarding/bulk.ts';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';

test('the send dialog names pending links and disabled accounts, and refuses loopback links', async ({ page, app }) => {
  const errors = watchConsole(page);
  const cert = await generateSelfSigned(['localhost', '127.0.0.1']);
  const smtp = await startSmtpReceiver({ ...cert, user: SMTP_USER, password: SMTP_PASSWORD });
  try {
    const seed = createApp({ dataDir: app.dataDir, shell: 'test' });
    const people = seedMailUsers(seed, 6, 'dlg');
    const inADay = new Date(Date.now() + 86_400_000).toISOString();
    // Two already invited with a live link, two disabled accounts.
    seed.onboarding.store.invite(people[0]!.id, 'hash-dlg00', inADay);
    seed.onboarding.store.invite(people[1]!.id, 'hash-dlg01', inADay);
    for (const p of people.slice(4)) {
      const { user } = seed.users.get(p.id);
      seed.users.update(p.id, { ...user, active: false });
    }
    await seed.close();

    await page.goto(app.url);
    const invoke = (channel: string, input: unknown) =>
      page.evaluate(
        async ([c, i]) =>
          (
            await fetch('/api/invoke', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ channel: c, input: i }),
            })
          ).json(),
        [channel, input] as const,
      );
    const port = await freePort();
    const mail = {
      transport: 'smtp',
      fromAddress: 'it@example.test',
      smtp: { host: '127.0.0.1', port: smtp.port, username: SMTP_USER, caPem: cert.certPem },
    };
    // First as a new admin leaves it: the portal on 127.0.0.1.
    const loopback = onboardingSettingsSchema.parse({ mail, portal: { listenHost: '127.0.0.1', port } });
    expect(
      await invoke('onboarding.settings.save', { settings: loopback, secrets: { smtpPassword: SMTP_PASSWORD } }),
    ).toMatchObject({ ok: true });
    expect(await invoke('onboarding.portal.start', {})).toMatchObject({ ok: true });

    await page.getByRole('tab', { name: 'Users' }).click();
    await expect(page.getByTestId('users-count')).toHaveText('6 users');
    await page.getByRole('checkbox', { name: 'Select all 6 shown' }).check();
    await page.getByRole('button', { name: 'Send activation mail' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(
      '2 users of them already have a pending activation link that a new mail cancels: dlg00, dlg01.',
    );
    await expect(dialog).toContainText('2 users of them are disabled: dlg04, dlg05. A password alone does not');
    // New accounts (never activated): enabling them when the user sets the password is the default.
    await expect(dialog.getByRole('radio', { name: 'Enable them when the user sets the password' })).toBeChecked();
    await expect(dialog.getByRole('heading')).toHaveText('Send activation mail to 6 users?');
    await dialog.getByRole('radio', { name: 'Leave them out of this send' }).check();
    await expect(dialog.getByRole('heading')).toHaveText('Send activation mail to 4 users?');
    await page.screenshot({ path: screenshotPath('users-send-dialog'), fullPage: true });

    await dialog.getByRole('button', { name: 'Send activation mail' }).click();
    await expect(dialog.getByRole('alert')).toContainText(
      `Nothing was sent: the links would open https://127.0.0.1:${port}, but that is a loopback address`,
    );
    expect(smtp.mails).toHaveLength(0);
    await dialog.getByRole('button', { name: 'Open Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();

    // Fixed: the portal answers on an address others can reach.
    const reachable = onboardingSettingsSchema.parse({ mail, portal: reachablePortal(port) });
    expect(await invoke('onboarding.settings.save', { settings: reachable, secrets: {} })).toMatchObject({ ok: true });
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByRole('checkbox', { name: 'Select all 6 shown' }).check();
    await page.getByRole('button', { name: 'Send activation mail' }).click();
    await dialog.getByRole('radio', { name: 'Leave them out of this send' }).check();
    await expect(dialog.getByRole('heading')).toHaveText('Send activation mail to 4 users?');
    await dialog.getByRole('button', { name: 'Send activation mail' }).click();
    await expect(page.getByText('Activation mail sent to 4 users.')).toBeVisible();
    expect(smtp.mails.map((m) => m.to[0]).sort()).toEqual([
      'dlg00@example.test',
      'dlg01@example.test',
      'dlg02@example.test',
      'dlg03@example.test',
    ]);
    // The selection is cleared: a second click cannot resend by mistake.
    await expect(page.getByText('Tick users to send activation mail in bulk')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send activation mail' })).toBeDisabled();
    expect(errors).toEqual([]);
  } finally {
    await smtp.stop();
  }
});
