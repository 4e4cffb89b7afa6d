// Scheduled provisioning in browser mode against a real slapd: the admin sets
// a schedule that holds every run in the directory form, the held run shows
// up on the Dashboard under "Needs review", opens as the usual preview, and a
// selection of it is committed. Needs no Samba: run with PD_SAMBA=off.
import { Client } from 'ldapts';
import { createApp } from '../../src-main/app.ts';
import { directoryConfigSchema } from '../../src-preload/directory.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';
import { expectAccessible } from './a11y.ts';

let slapd: SlapdServer;
const N = 6;

test.beforeAll(async () => {
  slapd = await startSlapd();
  const admin = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca: [slapd.caCertPem] } });
  await admin.bind(slapd.adminDn, slapd.adminPassword);
  for (let i = 0; i < N; i++)
    await admin.add(`uid=e2e${i},${slapd.peopleDn}`, {
      objectClass: ['inetOrgPerson'],
      uid: `e2e${i}`,
      cn: `Scheduled Person ${i}`,
      sn: `Person${i}`,
      displayName: `Scheduled Person ${i}`,
    });
  await admin.unbind();
});

test.afterAll(async () => {
  await slapd?.stop();
});

test('a schedule set in the form holds its run; the Dashboard opens it; a selection is committed', async ({
  page,
  app,
}) => {
  const errors = watchConsole(page);
  // The directory exists already, without a schedule (as every directory made before schedules).
  const setup = createApp({ dataDir: app.dataDir, shell: 'test' });
  setup.directories.save(
    undefined,
    directoryConfigSchema.parse({
      kind: 'ldap',
      name: 'Staff LDAP',
      toggles: { users: { import: true }, groups: { import: false } },
      connection: {
        urls: [slapd.ldapsUrl],
        caCertPem: slapd.caCertPem,
        bindDn: slapd.adminDn,
        baseDn: slapd.baseDn,
        userSearchBase: slapd.peopleDn,
        groupSearchBase: slapd.groupsDn,
        userTargetOu: slapd.peopleDn,
        userRdnTemplate: 'uid={userName}',
      },
    }),
    { bindPassword: slapd.adminPassword },
  );
  await setup.close();

  await page.goto(app.url);
  await page.getByRole('tab', { name: 'Directories' }).click();
  await page.getByRole('button', { name: 'Edit Staff LDAP' }).click();
  const schedule = page.getByRole('region', { name: 'Schedule', exact: true });
  await schedule.getByLabel('Run the import').selectOption('interval');
  await schedule.getByLabel('Minutes between runs').fill('5');
  await schedule.getByRole('radio', { name: 'Always hold for review (preview only)' }).check();
  await expectAccessible(page, 'directory form with a schedule');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Saved Staff LDAP.')).toBeVisible();

  // Switched on, the schedule runs at once; auto-commit off holds the run.
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  const review = page.getByRole('region', { name: 'Needs review' });
  await expect(review.getByRole('row', { name: /Staff LDAP.*Auto-commit off/ })).toBeVisible({ timeout: 30_000 });
  await expect(review.getByRole('row', { name: /Staff LDAP/ })).toContainText(`${N} / 0 / 0`);
  const lastRuns = page.getByRole('region', { name: 'Last runs' });
  await expect(lastRuns.getByRole('row', { name: /Staff LDAP/ }).first()).toContainText('scheduled');
  await expect(lastRuns.getByRole('row', { name: /Staff LDAP/ }).first()).toContainText('held');
  await page.screenshot({ path: screenshotPath('dashboard-needs-review') });

  await review.getByRole('button', { name: 'Open' }).click();
  await expect(page.getByRole('heading', { name: 'Import' })).toBeVisible();
  await expect(page.getByText(/Held by the schedule for review: Auto-commit is off/)).toBeVisible();
  const leftOut = page.getByRole('checkbox', { name: /Include Scheduled Person 3/ });
  await expect(leftOut).toBeChecked();
  await leftOut.uncheck();
  await page.getByRole('button', { name: 'Commit…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(page.getByText('The import is committed')).toBeVisible();
  await expect(page.getByText(`${N - 1} users added`).first()).toBeVisible();

  // Nothing is left to review; the run is committed, and it was the schedule's.
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  await expect(lastRuns.getByRole('row', { name: /Staff LDAP/ }).first()).toContainText('committed');
  await expect(page.getByRole('region', { name: 'Needs review' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
