// The Settings page in browser mode: mail transport form, the template
// preview, and starting the reset portal with a generated self-signed
// certificate, whose warning must be visible.
import { request } from 'node:https';
import { freePort } from '../services/slapd.ts';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';

test('an admin sets up mail, previews the activation mail and starts the reset portal', async ({ page, app }) => {
  const errors = watchConsole(page);
  await page.goto(app.url);
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();

  // Mail over SMTP; the password field is write-only.
  const mail = page.getByRole('region', { name: 'Mail' });
  await mail.getByRole('radio', { name: 'SMTP server' }).check();
  await mail.getByLabel('From address').fill('it@example.test');
  await mail.getByRole('textbox', { name: 'SMTP server' }).fill('smtp.example.test');
  await mail.getByLabel('User name').fill('mailer');
  await mail.getByLabel('Password').fill('Smtp-Secret-42!');

  // The preview renders the template with sample values, escaped.
  const templates = page.getByRole('region', { name: 'Mail templates' });
  await templates.getByLabel('Subject').fill('Welcome {displayName} ({userName})');
  await templates.getByRole('button', { name: 'Preview' }).click();
  await expect(templates.getByText('Subject: Welcome Ada Lovelace (ada.lovelace)')).toBeVisible();
  await expect(templates.getByLabel('Text preview')).toContainText('reset?t=PREVIEW-ONLY');
  // The HTML part in a sandboxed frame (no scripts), placeholders filled.
  const frame = page.locator('iframe[title="HTML preview"]');
  await expect(frame).toHaveAttribute('sandbox', '');
  await expect(frame).toHaveAttribute('srcdoc', /Hello Ada Lovelace,[\s\S]*Choose my password/);

  // The portal on a free port; the first start generates a self-signed certificate.
  const port = await freePort();
  const portal = page.getByRole('region', { name: 'Reset portal' });
  await portal.getByLabel('Port').fill(String(port));
  await portal.getByRole('button', { name: 'Start portal' }).click();
  await expect(portal.getByText('Running')).toBeVisible();
  await expect(portal.getByText(/self-signed certificate: browsers will warn/)).toBeVisible();
  await expect(portal.getByLabel('Certificate in use')).toContainText('IP Address:127.0.0.1');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(mail.getByLabel('Password')).toHaveValue('');
  await expect(mail.getByLabel('Password')).toHaveAttribute('placeholder', /stored/);
  await page.screenshot({ path: screenshotPath('settings'), fullPage: true });
  await portal.screenshot({ path: screenshotPath('settings-portal') });

  // It answers over HTTPS, with its security headers.
  const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/reset?t=x', rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.headers);
    });
    req.on('error', reject);
    req.end();
  });
  expect(String(headers['content-security-policy'])).toContain("frame-ancestors 'none'");

  // Saving after a reload keeps it running; Stop stops it.
  await page.reload();
  await expect(portal.getByText('Running')).toBeVisible();
  await portal.getByRole('button', { name: 'Stop portal' }).click();
  await expect(portal.getByText('Stopped')).toBeVisible();
  // Chromium reports the preview frame's sandbox refusing script execution (the automation's own
  // per-frame script): that is the sandbox working, not a page error.
  expect(
    errors.filter(
      (e) => !/^Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed/.test(e),
    ),
  ).toEqual([]);
});
