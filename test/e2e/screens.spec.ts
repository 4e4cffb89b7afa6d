// Every admin screen without a directory server: the directory form per kind,
// groups with members and nested groups, light and dark themes, an
// accessibility scan and a screenshot of each.
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';
import { expectAccessible, screenshot } from './a11y.ts';

test('directories: the guided form per kind, saved with a write-only password', async ({ page, app }) => {
  const errors = watchConsole(page);
  await page.goto(app.url);
  await page.getByRole('tab', { name: 'Directories' }).click();
  await expect(page.getByRole('heading', { name: 'Directories' })).toBeVisible();
  await expectAccessible(page, 'directories (empty)');

  await page.getByRole('button', { name: 'Add directory' }).click();
  await page.getByRole('menuitem', { name: 'Active Directory' }).click();
  await expect(page.getByRole('heading', { name: 'Add Active Directory directory' })).toBeVisible();
  for (const section of [
    'Connection',
    'Credentials',
    'Scope',
    'Where new objects go',
    'Attribute mapping',
    'Matching rules',
    'Provisioning',
    'Deletion threshold',
    'Verify Credentials',
  ])
    await expect(page.getByRole('region', { name: section, exact: true })).toBeVisible();
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
    await expect(page.getByRole('switch', { name: t })).not.toBeChecked();

  // Saving an incomplete form shows the field's own error.
  await page.getByRole('button', { name: 'Add directory' }).click();
  await expect(page.getByText('Name is required', { exact: true })).toBeVisible();

  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Corp <b>AD</b>');
  await page.getByLabel('Server URLs').fill('ldaps://dc1.example.test:636');
  await page.getByLabel('Bind user (UPN or DN)').fill('svc@example.test');
  await page.getByLabel('Bind password').fill('s3cret!');
  await page.getByLabel('Base DN').fill('DC=example,DC=test');
  await page.getByRole('switch', { name: 'Import users' }).check();
  await page.getByRole('switch', { name: 'Delete users (disable or delete)' }).check();
  await expect(page.getByLabel('When a user is deleted in Provision Desk')).toHaveValue('disable');
  await page.getByLabel('Stop above this many objects').fill('25');
  await screenshot(page, screenshotPath('directory-form-ad'));
  await expectAccessible(page, 'directory form (Active Directory)');
  await page.getByRole('button', { name: 'Add directory' }).click();
  await expect(page.getByText('Added Corp <b>AD</b>.')).toBeVisible();
  // The password is write-only: the form says one is saved and offers to replace it.
  await expect(page.getByText('A password is saved')).toBeVisible();
  await expect(page.getByLabel('Replace the bind password')).toHaveValue('');

  await page.getByRole('button', { name: 'Back to directories' }).click();
  const row = page.getByRole('row', { name: /Corp <b>AD<\/b>/ });
  await expect(row).toContainText('Active Directory');
  await expect(row).toContainText('Never run');
  await screenshot(page, screenshotPath('directories'));
  await expectAccessible(page, 'directories');

  // Entra ID and LDAP forms have their own fields.
  await page.getByRole('button', { name: 'Add directory' }).click();
  await page.getByRole('menuitem', { name: 'Microsoft Entra ID' }).click();
  await expect(page.getByLabel('Tenant ID')).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Client secret' })).toBeVisible();
  await page.getByRole('radio', { name: 'Certificate' }).check();
  await expect(page.getByLabel('Private key (PEM)')).toBeVisible();
  await screenshot(page, screenshotPath('directory-form-entra'));
  await expectAccessible(page, 'directory form (Entra ID)');
  await page.getByRole('button', { name: 'Back to directories' }).click();
  await page.getByRole('button', { name: 'Add directory' }).click();
  await page.getByRole('menuitem', { name: 'LDAP' }).click();
  await expect(page.getByLabel('Bind DN')).toBeVisible();
  await expectAccessible(page, 'directory form (LDAP)');
  await page.getByRole('button', { name: 'Back to directories' }).click();

  // Edit keeps the toggles; remove asks first.
  await page.getByRole('button', { name: 'Edit Corp <b>AD</b>' }).click();
  await expect(page.getByRole('switch', { name: 'Import users' })).toBeChecked();
  await expect(page.getByLabel('Stop above this many objects')).toHaveValue('25');
  await page.getByRole('button', { name: 'Back to directories' }).click();
  await page.getByRole('button', { name: 'Remove Corp <b>AD</b>' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove directory' }).click();
  await expect(page.getByText('No directory yet.')).toBeVisible();
  expect(errors).toEqual([]);
});

test('groups: members added and removed by search, nested groups shown, both themes', async ({ page, app }) => {
  const errors = watchConsole(page);
  await page.goto(app.url);
  // Two users to add.
  for (const [u, n] of [
    ['ada', 'Ada Lovelace'],
    ['alan', 'Alan Turing'],
  ]) {
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByRole('dialog').getByLabel('User name').fill(u!);
    await page.getByRole('dialog').getByLabel('Display name').fill(n!);
    await page.getByRole('dialog').getByRole('button', { name: 'Add user' }).click();
    await expect(page.getByRole('cell', { name: u!, exact: true })).toBeVisible();
  }
  await page.getByRole('tab', { name: 'Groups' }).click();
  await expect(page.getByRole('heading', { name: 'Groups' })).toBeVisible();
  await expectAccessible(page, 'groups (empty)');
  for (const name of ['Engineering', 'Staff']) {
    await page.getByRole('button', { name: 'Add group' }).click();
    await page.getByRole('dialog').getByLabel('Group name').fill(name);
    await page.getByRole('dialog').getByRole('button', { name: 'Add group' }).click();
    await expect(page.getByRole('region', { name: `Group ${name}` })).toBeVisible();
  }
  // Staff is open: add Engineering as a nested group.
  const picker = page.getByRole('combobox', { name: 'Add a member' });
  await picker.fill('engin');
  await page.getByRole('option', { name: 'Engineering' }).click();
  await expect(page.getByRole('list', { name: 'Members' })).toContainText('Engineering');
  await expect(page.getByRole('list', { name: 'Members' })).toContainText('nested group');

  // Open Engineering through the list; add both users, remove one.
  await page.getByRole('cell', { name: 'Engineering' }).click();
  const panel = page.getByRole('region', { name: 'Group Engineering' });
  await expect(panel.getByRole('list', { name: 'Member of' })).toContainText('Staff');
  await picker.fill('lovelace');
  await page.getByRole('option', { name: 'Ada Lovelace (ada)' }).click();
  await expect(panel.getByRole('list', { name: 'Members' })).toContainText('Ada Lovelace');
  await picker.fill('alan');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('list', { name: 'Members' })).toContainText('Alan Turing');
  await expect(page.getByRole('row', { name: /Engineering/ })).toContainText('2');
  await screenshot(page, screenshotPath('groups'));
  await expectAccessible(page, 'groups');

  await panel.getByRole('button', { name: 'Remove Ada Lovelace from Engineering' }).click();
  await expect(panel.getByRole('list', { name: 'Members' })).not.toContainText('Ada Lovelace');

  // Dark theme, from the switch in the navigation.
  await page.getByRole('switch', { name: 'Dark theme' }).check();
  await screenshot(page, screenshotPath('groups-dark'));
  await expectAccessible(page, 'groups (dark)');
  await page.getByRole('tab', { name: 'Directories' }).click();
  await screenshot(page, screenshotPath('directories-dark'));
  await expectAccessible(page, 'directories (dark)');
  await page.getByRole('switch', { name: 'Dark theme' }).uncheck();
  expect(errors).toEqual([]);
});
