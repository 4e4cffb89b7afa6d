// The Reports screen in browser mode: an admin filters the provisioning report
// by user, application and time span, opens an entry's details, and exports;
// the downloaded CSV holds exactly the rows on screen for that filter.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createApp } from '../../src-main/app.ts';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';

const HOUR = 3600_000;

/** Seeds the report through the store, in the app's data folder, before the page opens. */
function seed(dataDir: string) {
  const now = Date.now();
  const app = createApp({ dataDir, shell: 'test' });
  const add = (
    hoursAgo: number,
    userIdentifier: string,
    application: string,
    action: string,
    status: 'success' | 'failure' | 'skipped' | 'pending',
    extra: Record<string, unknown> = {},
  ) =>
    app.repos.reports.add({
      at: new Date(now - hoursAgo * HOUR).toISOString(),
      userIdentifier,
      objectType: 'user',
      action,
      application,
      status,
      ...extra,
    });
  // Match: "alice" in Entra ID within 7 days.
  add(2, 'Alice.Wong@contoso.example', 'Entra ID', 'update', 'failure', {
    message: 'Request_BadRequest: Invalid value specified for property "mail", "jobTitle"',
    runId: 'run-7781',
    requestId: '5b2a4c1e-93f1-4a71-b0b4-0c3e2c8f4f10',
    changes: { title: ['Engineer', 'Senior engineer, R&D'], mail: ['alice@old.example', 'alice.wong@contoso.example'] },
  });
  add(30, 'ALICE.brown@fabrikam.example', 'Entra ID', 'create', 'success', { runId: 'run-7702' });
  add(5 * 24, 'Alice, "QA" =cmd', 'Entra ID', 'password', 'success', { message: '=1+2 is a formula' });
  // Not matching: other user, other application, or older than 7 days.
  add(3, 'bob@contoso.example', 'Entra ID', 'update', 'success');
  add(4, 'Alice.Wong@contoso.example', 'Corp AD', 'update', 'success');
  add(10 * 24, 'Alice.Wong@contoso.example', 'Entra ID', 'disable', 'success');
  add(40 * 24, 'alice.old@contoso.example', 'Entra ID', 'delete', 'success');
  for (let i = 0; i < 40; i++)
    add(
      6 + i,
      `user${i}@contoso.example`,
      i % 2 ? 'Corp AD' : 'LDAP Lab',
      i % 3 ? 'update' : 'create',
      i % 5 ? 'success' : 'skipped',
    );
  return app.close();
}

test('an admin filters the report, opens an entry and exports exactly what is on screen', async ({ page, app }) => {
  const errors = watchConsole(page);
  await seed(app.dataDir);
  await page.goto(app.url);
  await page.getByRole('tab', { name: 'Reports' }).click();
  await expect(page.getByRole('heading', { name: 'Reports' })).toBeVisible();

  // With no filter the default span (7 days) shows everything in it.
  const table = page.getByRole('table', { name: 'Report entries' });
  await expect(page.getByRole('status').filter({ hasText: /\bentr(y|ies)\b/ })).toHaveText('45 entries');

  // Filter: part of the user, the application, the span.
  const filters = page.getByRole('search', { name: 'Report filters' });
  await filters.getByLabel('User').fill('alice');
  await filters.getByLabel('Application').selectOption('Entra ID');
  await filters.getByLabel('Time span').selectOption('Last 7 days');
  await filters.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('status').filter({ hasText: /\bentr(y|ies)\b/ })).toHaveText('3 entries');

  const dataRows = table.locator('[role="row"][data-index]');
  await expect(dataRows).toHaveCount(3);
  const onScreen = await dataRows.evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll('[role="cell"]')].map((c) => c.textContent ?? '')),
  );
  expect(onScreen.map((r) => r[1])).toEqual([
    'Alice.Wong@contoso.example',
    'ALICE.brown@fabrikam.example',
    'Alice, "QA" =cmd',
  ]);

  // Narrower span: last 24 hours leaves one.
  await filters.getByLabel('Time span').selectOption('Last 24 hours');
  await filters.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('status').filter({ hasText: /\bentr(y|ies)\b/ })).toHaveText('1 entry');
  await filters.getByLabel('Time span').selectOption('Last 7 days');
  await filters.getByRole('button', { name: 'Search' }).click();
  await expect(dataRows).toHaveCount(3);

  // Details: changed attributes old → new, the directory's message, run id, request id.
  await table.getByRole('cell', { name: 'Alice.Wong@contoso.example' }).click();
  const details = page.getByRole('region', { name: 'Entry details' });
  await expect(details.getByRole('heading', { name: 'Alice.Wong@contoso.example' })).toBeVisible();
  await expect(
    details.getByText('Request_BadRequest: Invalid value specified for property "mail", "jobTitle"'),
  ).toBeVisible();
  await expect(details.getByText('run-7781')).toBeVisible();
  await expect(details.getByText('5b2a4c1e-93f1-4a71-b0b4-0c3e2c8f4f10')).toBeVisible();
  const changes = details.getByRole('table', { name: 'Changed attributes' });
  await expect(changes.getByRole('row', { name: /title Engineer → Senior engineer, R&D/ })).toBeVisible();
  await expect(changes.getByRole('row', { name: /mail alice@old.example → alice.wong@contoso.example/ })).toBeVisible();
  await page.screenshot({ path: screenshotPath('reports'), fullPage: true });

  // Export CSV: a download in browser mode, holding exactly the rows on screen.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^provisioning-report-.*\.csv$/);
  const file = await download.path();
  const bytes = readFileSync(file);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // BOM for Excel
  const [header, ...records] = parse(bytes, { bom: true }) as string[][];
  expect(header).toEqual([
    'id',
    'time',
    'user',
    'application',
    'object_type',
    'action',
    'status',
    'message',
    'run_id',
    'request_id',
    'changes',
  ]);
  // Same rows, same order: time (as the page shows it), user, application, action, status, message.
  const fromFile = await page.evaluate(
    (rows) =>
      rows.map((r) => [
        new Date(r[1]!).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }),
        r[2]!.replace(/^'(?=[=+\-@\t\r])/, ''),
        r[3],
        r[5],
        r[6],
        r[7]!.replace(/^'(?=[=+\-@\t\r])/, ''),
      ]),
    records,
  );
  expect(fromFile).toEqual(onScreen);
  // The formula-like message came out neutralised.
  expect(records.find((r) => r[2] === 'Alice, "QA" =cmd')?.[7]).toBe("'=1+2 is a formula");

  expect(errors).toEqual([]);
});

// Close the page before the app stops, pass or fail, so no open connection of
// the page (its event stream) holds up the server's shutdown.
test.afterEach(async ({ page }) => {
  await page.close();
});
