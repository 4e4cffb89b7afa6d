// The admin's screens against a REAL Samba AD DC (started once by
// test/e2e/global-setup.ts): add an Active Directory directory through the
// form, Verify Credentials (right, then a wrong password), switch on the
// toggles, Preview an import, read the counts and a diff, commit a
// selection, find the users; create/edit/delete a user and a group with
// members in the UI and read each change back from Samba over LDAPS.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test, expect, startBrowserApp, watchConsole, screenshotPath, type BrowserApp } from './fixtures.ts';
import type { Page } from '@playwright/test';
import { expectAccessible, screenshot } from './a11y.ts';
import { addAdUser, addOu, findBySam, membersOf, sambaAdmin, sambaInfo } from './samba-info.ts';
import type { SambaDcInfo } from '../services/samba.ts';

test.describe.configure({ mode: 'serial' });

let info: SambaDcInfo;
let app: BrowserApp;
let page: Page;
let errors: string[];
const tag = randomBytes(3).toString('hex');
let root: string;
let people: string;
let groupsOu: string;
const sam = (s: string) => `e2e${tag}-${s}`;

test.beforeAll(async ({ browser }) => {
  info = sambaInfo();
  root = `OU=pde2e-${tag},${info.baseDn}`;
  people = `OU=People,${root}`;
  groupsOu = `OU=Groups,${root}`;
  await sambaAdmin(info, async (c) => {
    await addOu(c, root);
    await addOu(c, people);
    await addOu(c, groupsOu);
    const anna = await addAdUser(
      c,
      people,
      { sam: sam('anna'), given: 'Anna', sn: 'Berg', mail: `anna.${tag}@example.test`, title: 'Engineer' },
      info.dnsDomain,
    );
    const bob = await addAdUser(
      c,
      people,
      { sam: sam('bob'), given: 'Bob', sn: 'Stone', mail: `bob.${tag}@example.test`, title: 'Analyst' },
      info.dnsDomain,
    );
    await addAdUser(
      c,
      people,
      { sam: sam('carl'), given: 'Carl', sn: 'Lind', mail: `carl.${tag}@example.test` },
      info.dnsDomain,
    );
    await c.add(`CN=Team ${tag},${groupsOu}`, {
      objectClass: ['top', 'group'],
      sAMAccountName: `team-${tag}`,
      member: [anna, bob],
    });
  });
  app = await startBrowserApp();
  // Its own context (axe needs one made with browser.newContext()).
  page = await (await browser.newContext()).newPage();
  errors = watchConsole(page);
  await page.goto(app.url);
});

test.afterAll(async () => {
  await page?.context().close();
  await app?.stop();
  if (info)
    await sambaAdmin(info, async (c) => {
      // Leaves the DC as found: everything this run made lives under root.
      const { searchEntries } = await c.search(root, { scope: 'sub', filter: '(objectClass=*)', attributes: ['dn'] });
      for (const e of searchEntries.sort((a, b) => b.dn.length - a.dn.length)) await c.del(e.dn).catch(() => undefined);
    }).catch(() => undefined);
});

async function addUser(p: Page, fields: Record<string, string>) {
  await p.getByRole('tab', { name: 'Users' }).click();
  await p.getByRole('button', { name: 'Add user' }).click();
  const dialog = p.getByRole('dialog');
  for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label).fill(value);
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog).toHaveCount(0);
}

test('an Active Directory directory is added, verified, and a previewed selection imported', async () => {
  test.setTimeout(300_000);
  // A local user that the import will match by user name and update.
  await addUser(page, { 'User name': sam('bob'), 'Display name': 'Bobby' });

  await page.getByRole('tab', { name: 'Directories' }).click();
  await page.getByRole('button', { name: 'Add directory' }).click();
  await page.getByRole('menuitem', { name: 'Active Directory' }).click();
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill(`Samba ${tag}`);
  await page.getByLabel('Server URLs').fill(info.ldapsUrl);
  await page.getByLabel('Trusted CA certificate (PEM)').fill(info.caCertPem);
  await page.getByLabel('Bind user (UPN or DN)').fill(info.adminUpn);
  await page.getByLabel('Bind password').fill(info.adminPassword);
  await page.getByLabel('Base DN').fill(info.baseDn);
  await page.getByLabel('User search base').fill(people);
  await page.getByLabel('Group search base').fill(groupsOu);
  await page.getByLabel('Container for new users').fill(people);
  await page.getByLabel('Container for new groups').fill(groupsOu);
  await page.getByLabel('UPN suffix for new users').fill(info.dnsDomain);

  // Verify Credentials: success with its steps…
  await page.getByRole('button', { name: 'Verify Credentials' }).click();
  const result = page.getByTestId('verify-result');
  await expect(result.getByText('Credentials verified')).toBeVisible({ timeout: 60_000 });
  await expect(result.getByRole('list', { name: 'Verification steps' }).getByRole('listitem').first()).toBeVisible();
  await expect(result.getByLabel('failed')).toHaveCount(0);
  await screenshot(page, screenshotPath('directory-verify-ok'));

  // …then a wrong password: the precise refusal, in the admin's words.
  await page.getByLabel('Bind password').fill('not-the-password');
  await page.getByRole('button', { name: 'Verify Credentials' }).click();
  await expect(result.getByText('Credentials verified')).toHaveCount(0);
  await expect(result.getByText(/refused the bind/).first()).toBeVisible({ timeout: 60_000 });
  await expect(result).toContainText(/invalid credentials|52e/i);
  await screenshot(page, screenshotPath('directory-verify-wrong-password'));
  await expectAccessible(page, 'directory form with a failed verification');
  await page.getByLabel('Bind password').fill(info.adminPassword);

  // Every toggle on, deletes as disable.
  for (const t of [
    'Import users',
    'Create users',
    'Edit users',
    'Delete users (disable or delete)',
    'Password Sync',
    'Import groups',
    'Create groups',
    'Delete groups',
    'Add/Remove membership',
  ])
    await page.getByRole('switch', { name: t }).check();
  await page.getByRole('button', { name: 'Add directory' }).click();
  await expect(page.getByText(`Added Samba ${tag}.`)).toBeVisible();
  await page.getByRole('button', { name: 'Back to directories' }).click();
  await expect(page.getByRole('row', { name: new RegExp(`Samba ${tag}`) })).toContainText('Active Directory');

  // Import: one click from the directory's row.
  await page.getByRole('button', { name: `Import from Samba ${tag}` }).click();
  await expect(page.getByRole('heading', { name: 'Import' })).toBeVisible();
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  const summary = page.getByRole('region', { name: 'Preview summary' });
  await expect(summary).toBeVisible({ timeout: 120_000 });
  await expect(summary.getByRole('button', { name: 'Users new: 2' })).toBeVisible();
  await expect(summary.getByRole('button', { name: 'Users changed: 1' })).toBeVisible();
  await expect(summary.getByRole('button', { name: 'Groups new: 1' })).toBeVisible();
  await expect(summary.getByRole('button', { name: 'Memberships add: 2' })).toBeVisible();

  // The changed user's diff: old → new per attribute.
  await summary.getByRole('button', { name: 'Users changed: 1' }).click();
  const table = page.getByRole('table', { name: 'Preview rows' });
  await expect(table.getByRole('row')).toHaveCount(2); // header + Bob
  await table
    // The Name cell itself: the Include cell's checkbox label also holds the name, and a click there would untick the row.
    .getByRole('cell', { name: new RegExp(`^Bob Stone \\(${sam('bob')}\\)$`) })
    .first()
    .click();
  const diff = page.getByRole('region', { name: 'Row details' }).getByLabel('Attribute changes');
  await expect(diff).toContainText('Bobby');
  await expect(diff).toContainText('Bob Stone');

  // Export the preview (all rows) to CSV.
  await summary.getByRole('button', { name: 'Users changed: 1' }).click(); // back to all rows
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export preview to CSV' }).click();
  const csv = readFileSync(await (await download).path(), 'utf8');
  expect(csv).toContain(sam('anna'));
  expect(csv).toContain(sam('carl'));

  // Leave Carl out; commit the rest.
  await summary.getByRole('button', { name: 'Users new: 2' }).click();
  await page.getByRole('checkbox', { name: new RegExp(`Include .*${sam('carl')}`) }).uncheck();
  await summary.getByRole('button', { name: 'Users new: 2' }).click();
  await screenshot(page, screenshotPath('import-preview'));
  await expectAccessible(page, 'import preview');
  await page.getByRole('button', { name: 'Commit…' }).click();
  const confirm = page.getByRole('dialog');
  await expect(confirm).toContainText('Add 1 new users to Provision Desk');
  await expect(confirm).toContainText('Update 1 users');
  await screenshot(page, screenshotPath('import-commit-confirm'));
  await confirm.getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(page.getByText('The import is committed')).toBeVisible({ timeout: 60_000 });

  // The committed users are in the Users list; the left-out one is not.
  await page.getByRole('tab', { name: 'Users' }).click();
  await page.getByLabel('Search users').fill(`e2e${tag}`);
  await expect(page.getByRole('cell', { name: sam('anna'), exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: sam('bob'), exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Bob Stone' })).toBeVisible();
  await expect(page.getByRole('cell', { name: sam('carl'), exact: true })).toHaveCount(0);

  // Carl's row was left out, so that commit could not be the starting point for changes: the next
  // Preview reads everything and says why. Committed whole, the one after is a delta with nothing to do.
  await page.getByRole('tab', { name: 'Import' }).click();
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(summary).toContainText('Full preview', { timeout: 120_000 });
  await expect(summary).toContainText('1 row was not selected');
  await expect(summary.getByRole('button', { name: 'Users new: 1' })).toBeVisible();
  await page.getByRole('button', { name: 'Commit…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Commit', exact: true }).click();
  await expect(page.getByText('The import is committed')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(summary).toContainText('Changes since the import committed', { timeout: 120_000 });
  await expect(summary).toContainText('Read 0 users');
  await page.getByRole('button', { name: 'Full preview' }).click();
  await expect(summary).toContainText('A full preview was asked for.', { timeout: 120_000 });
  expect(errors).toEqual([]);
});

test('a user created, edited and deleted in the UI is created, changed and disabled in Samba', async () => {
  test.setTimeout(300_000);
  await addUser(page, {
    'User name': sam('dana'),
    'First name': 'Dana',
    'Last name': 'Frost',
    'E-mail': `dana.${tag}@example.test`,
  });
  const inAd = () => sambaAdmin(info, (c) => findBySam(c, root, sam('dana')));
  await expect.poll(async () => (await inAd())?.mail, { timeout: 90_000 }).toBe(`dana.${tag}@example.test`);

  // The detail panel shows it provisioned there; provision on demand shows its trace.
  await page.getByLabel('Search users').fill(sam('dana'));
  await page.getByRole('cell', { name: sam('dana'), exact: true }).click();
  const panel = page.getByRole('region', { name: `User ${sam('dana')}` });
  await expect(panel.getByRole('table', { name: /Provisioning state/ })).toContainText('Provisioned', {
    timeout: 60_000,
  });
  await panel.getByRole('button', { name: 'Provision now' }).click();
  const trace = panel.getByRole('region', { name: 'Provisioning trace' });
  await expect(trace.getByRole('list', { name: 'Steps' }).getByRole('listitem').first()).toBeVisible({
    timeout: 60_000,
  });
  await expect(trace).toContainText(/Match/);
  await screenshot(page, screenshotPath('user-detail'));
  await expectAccessible(page, 'users with the detail panel');

  // Filters: by directory and state.
  await page.getByLabel('Search users').fill(`e2e${tag}`);
  await page.getByRole('combobox', { name: 'Filter by provisioning state' }).selectOption('provisioned');
  await expect(page.getByRole('cell', { name: sam('dana'), exact: true })).toBeVisible();
  await page.getByRole('combobox', { name: 'Filter by directory' }).selectOption('none');
  await expect(page.getByRole('cell', { name: sam('dana'), exact: true })).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Filter by directory' }).selectOption('');
  await page.getByRole('combobox', { name: 'Filter by provisioning state' }).selectOption('');
  await page.getByLabel('Search users').fill(sam('dana'));

  // Edit: a job title.
  await panel.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('dialog').getByLabel('Job title').fill('Auditor');
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect.poll(async () => (await inAd())?.title, { timeout: 90_000 }).toBe('Auditor');

  // Delete: this directory disables.
  await panel.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
  await expect(page.getByRole('cell', { name: sam('dana'), exact: true })).toHaveCount(0);
  await expect.poll(async () => Number((await inAd())?.userAccountControl) & 2, { timeout: 90_000 }).toBe(2);
  expect(errors).toEqual([]);
});

test('a group made in the UI gets members added and removed in Samba', async () => {
  test.setTimeout(300_000);
  const groupName = `Editors ${tag}`;
  await page.getByRole('tab', { name: 'Groups' }).click();
  await page.getByRole('button', { name: 'Add group' }).click();
  await page.getByRole('dialog').getByLabel('Group name').fill(groupName);
  await page.getByRole('dialog').getByRole('button', { name: 'Add group' }).click();
  const panel = page.getByRole('region', { name: `Group ${groupName}` });
  await expect(panel).toBeVisible();
  const picker = panel.getByRole('combobox', { name: 'Add a member' });
  for (const who of ['anna', 'bob']) {
    await picker.fill(sam(who));
    await page.getByRole('option', { name: new RegExp(sam(who)) }).click();
    await expect(panel.getByRole('list', { name: 'Members' })).toContainText(
      sam(who) === sam('anna') ? 'Anna Berg' : 'Bob Stone',
    );
  }
  const groupDn = `CN=${groupName},${groupsOu}`;
  const members = () => sambaAdmin(info, (c) => membersOf(c, groupDn).catch(() => [] as string[]));
  const annaDn = `CN=Anna Berg,${people}`.toLowerCase();
  const bobDn = `CN=Bob Stone,${people}`.toLowerCase();
  await expect
    .poll(async () => (await members()).map((m) => m.toLowerCase()).sort(), { timeout: 90_000 })
    .toEqual([annaDn, bobDn].sort());
  await expect(panel.getByRole('table', { name: /Provisioning state/ })).toContainText('Provisioned', {
    timeout: 60_000,
  });
  await screenshot(page, screenshotPath('group-detail'));
  await expectAccessible(page, 'groups with a provisioned group');

  await panel.getByRole('button', { name: `Remove Bob Stone from ${groupName}` }).click();
  await expect(panel.getByRole('list', { name: 'Members' })).not.toContainText('Bob Stone');
  await expect.poll(async () => (await members()).map((m) => m.toLowerCase()), { timeout: 90_000 }).toEqual([annaDn]);

  // The imported group shows its members too, and the dashboard counts it all.
  await page.getByLabel('Search groups').fill(`Team ${tag}`);
  await page.getByRole('cell', { name: `Team ${tag}` }).click();
  await expect(
    page.getByRole('region', { name: `Group Team ${tag}` }).getByRole('list', { name: 'Members' }),
  ).toContainText('Bob Stone');

  await page.getByRole('tab', { name: 'Dashboard' }).click();
  const dirs = page.getByRole('region', { name: 'Directories' });
  await expect(dirs.getByRole('row', { name: new RegExp(`Samba ${tag}`) })).toContainText('provisioned');
  await expect(page.getByRole('region', { name: 'Last runs' })).toContainText('committed');
  await expect(page.getByRole('img', { name: /Provisioning operations: [1-9][\d,]* succeeded/ })).toBeVisible();
  await screenshot(page, screenshotPath('dashboard'));
  await expectAccessible(page, 'dashboard');
  await page.getByRole('switch', { name: 'Dark theme' }).check();
  await screenshot(page, screenshotPath('dashboard-dark'));
  await expectAccessible(page, 'dashboard (dark)');
  await page.getByRole('tab', { name: 'Import' }).click();
  await screenshot(page, screenshotPath('import-dark'));
  await expectAccessible(page, 'import (dark)');
  await page.getByRole('tab', { name: 'Users' }).click();
  await screenshot(page, screenshotPath('users-dark'));
  await expectAccessible(page, 'users (dark)');
  await page.getByRole('switch', { name: 'Dark theme' }).uncheck();
  expect(errors).toEqual([]);
});
