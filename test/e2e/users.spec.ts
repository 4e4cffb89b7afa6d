import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';

test('an admin adds, edits and deletes a user in browser mode', async ({ page, app }) => {
  const errors = watchConsole(page);
  await page.goto(app.url);
  await page.getByRole('tab', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();

  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('User name').fill('jdoe');
  await dialog.getByLabel('First name').fill('Jane');
  await dialog.getByLabel('Last name').fill('Doe');
  await dialog.getByLabel('E-mail').fill('not-an-address');
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(dialog.getByText('Not a valid e-mail address')).toBeVisible();
  await dialog.getByLabel('E-mail').fill('jane.doe@example.test');
  await dialog.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('cell', { name: 'jdoe', exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Jane Doe' })).toBeVisible();

  // Edit: open the row, change the title and department.
  await page.getByRole('cell', { name: 'jdoe', exact: true }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('dialog').getByLabel('Department').fill('Finance');
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('cell', { name: 'Finance' })).toBeVisible();

  // Search narrows the list.
  await page.getByLabel('Search users').fill('finance');
  await expect(page.getByText('1 of 1 users').or(page.getByText('1 users'))).toBeVisible();
  // Bulk onboarding: tick the user; before any confirmation the action lists everything still missing.
  await page.getByRole('checkbox', { name: 'Select jdoe' }).check();
  await expect(page.getByText('1 selected')).toBeVisible();
  await page.getByRole('button', { name: 'Send activation mail' }).click();
  const missing = page.getByRole('dialog');
  await expect(missing).toContainText('Activation mail cannot be sent yet');
  await expect(missing.getByRole('list', { name: 'What is missing' })).toContainText(
    'Choose how mail is sent: SMTP or Microsoft Graph.',
  );
  await expect(missing).toContainText('Start the reset portal: the links in the mails open it.');
  await expect(missing.getByRole('button', { name: 'Open Settings, Mail' })).toBeVisible();
  await missing.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await page.screenshot({ path: screenshotPath('users'), fullPage: true });

  // Delete with confirmation.
  await page.getByRole('cell', { name: 'jdoe', exact: true }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete user' }).click();
  await expect(page.getByRole('cell', { name: 'jdoe', exact: true })).toHaveCount(0);
  expect(errors).toEqual([]);
});
