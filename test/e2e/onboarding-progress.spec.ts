// A bulk activation mail from the Users screen in browser mode, through a
// real SMTP receiver that is paused after a few mails: the progress bar with
// sent / failed / left and Cancel shows while the send runs, the window stays
// usable, Cancel stops the send, and the result lists the users not reached.
import { generateSelfSigned } from '../../src-main/onboarding/portal/certificate.ts';
import { createApp } from '../../src-main/app.ts';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import { freePort } from '../services/slapd.ts';
import { reachablePortal } from '../onboarding/fixtures.ts';
import { startSmtpReceiver } from '../onboarding/smtp.ts';
import { seedMailUsers, SMTP_PASSWORD, SMTP_USER, until } from '../onboarding/bulk.ts';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';

test('a bulk activation mail shows its progress and can be cancelled', async ({ page, app }) => {
  const errors = watchConsole(page);
  const cert = await generateSelfSigned(['localhost', '127.0.0.1']);
  const smtp = await startSmtpReceiver({ ...cert, user: SMTP_USER, password: SMTP_PASSWORD });
  try {
    // Users linked to a directory with Password Sync on, written into the running app's data folder.
    const seed = createApp({ dataDir: app.dataDir, shell: 'test' });
    seedMailUsers(seed, 20, 'ui');
    await seed.close();

    await page.goto(app.url);
    // Mail settings and the portal through the bridge, as the Settings page would save them.
    const settings = onboardingSettingsSchema.parse({
      mail: {
        transport: 'smtp',
        fromAddress: 'it@example.test',
        smtp: { host: '127.0.0.1', port: smtp.port, username: SMTP_USER, caPem: cert.certPem },
      },
      portal: reachablePortal(await freePort()),
    });
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
    expect(
      await invoke('onboarding.settings.save', { settings, secrets: { smtpPassword: SMTP_PASSWORD } }),
    ).toMatchObject({ ok: true });
    expect(await invoke('onboarding.portal.start', {})).toMatchObject({ ok: true });

    await page.getByRole('tab', { name: 'Users' }).click();
    await expect(page.getByTestId('users-count')).toHaveText('20 users');
    await page.getByRole('checkbox', { name: 'Select all 20 shown' }).check();
    smtp.allow(3);
    await page.getByRole('button', { name: 'Send activation mail' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Send activation mail' }).click();

    const progress = page.getByRole('region', { name: 'Sending progress' });
    await expect(progress).toBeVisible();
    await expect(progress).toContainText('3 sent, 0 failed');
    await until(() => smtp.waiting > 0, 'a mail held at the receiver');
    // The window stays usable while the send runs: the search box filters.
    await page.getByLabel('Search users').fill('ui01');
    await expect(page.getByTestId('users-count')).toHaveText('1 of 20 users');
    await page.getByLabel('Search users').fill('');
    await page.screenshot({ path: screenshotPath('users-sending'), fullPage: true });

    await progress.getByRole('button', { name: 'Cancel' }).click();
    await expect(progress).toContainText('Cancelling');
    smtp.allow(Infinity);
    const result = page.getByRole('dialog');
    await expect(result).toContainText('not reached');
    await expect(progress).toHaveCount(0);
    const sent = smtp.mails.length;
    expect(sent).toBeGreaterThan(3);
    expect(sent).toBeLessThan(20);
    await expect(result).toContainText(`Activation mail: ${sent} sent, 0 failed, ${20 - sent} not reached`);
    await expect(
      result.getByText('Not reached: cancelled before this user; status unchanged, no mail sent.'),
    ).toHaveCount(20 - sent);
    await page.screenshot({ path: screenshotPath('users-send-cancelled'), fullPage: true });
    await result.getByRole('button', { name: 'Close' }).click();
    expect(errors).toEqual([]);
  } finally {
    await smtp.stop();
  }
});
