// The admin's screens at directory scale, against real OpenLDAP servers: a
// 4,200-user preview whose summary card keeps its size, the preview CSV, a
// commit that queues thousands of writes for a second directory with its
// progress (rate, time left) live on Import, Dashboard and Directories, and a
// 4,000-member group with a virtualised, searchable member list. Screenshots
// at 1024×700 and 1440×900; the accessibility scan stays clean.
//
// The seed is bounded (4,200 users, one 4,000-member group, slapadd) so the
// whole spec runs in well under a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, watchConsole, screenshotPath } from './fixtures.ts';
import { expectAccessible } from './a11y.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { writeUsersLdif, type UsersLdifResult } from '../services/seed-ldif.ts';
import { rdnValue } from '../../src-main/connectors/ldap/escape.ts';
import { createApp } from '../../src-main/app.ts';
import { directoryConfigSchema } from '../../src-preload/directory.ts';

const USERS = 4200;
const BIG_GROUP = 4000;
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
];

let source: SlapdServer;
let target: SlapdServer;
let seed: UsersLdifResult;
let seedDir: string;

test.beforeAll(async () => {
  seedDir = mkdtempSync(join(tmpdir(), 'pd-e2e-scale-'));
  seed = await writeUsersLdif(join(seedDir, 'users.ldif'), {
    baseDn: 'dc=example,dc=test',
    count: USERS,
    groups: [12, BIG_GROUP],
    memberOf: true,
  });
  [source, target] = await Promise.all([startSlapd({ seedLdif: seed.path }), startSlapd()]);
});
test.afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  rmSync(seedDir, { recursive: true, force: true });
});

function directory(name: string, s: SlapdServer, writes: boolean) {
  return {
    config: {
      kind: 'ldap',
      name,
      connection: {
        urls: [s.url],
        startTls: true,
        caCertPem: s.caCertPem,
        bindDn: s.adminDn,
        baseDn: s.baseDn,
        userSearchBase: s.peopleDn,
        groupSearchBase: s.groupsDn,
        userTargetOu: s.peopleDn,
        groupTargetOu: s.groupsDn,
        pageSize: 1000,
      },
      toggles: {
        users: { import: !writes, create: writes, edit: writes },
        groups: { import: !writes, create: writes, membership: writes },
      },
    },
    secrets: { bindPassword: s.adminPassword },
  };
}

/**
 * Adds a directory to the app's data folder as a setup step: browser mode holds the folder's lock (a
 * second process is refused), so the setup opens the same store in this process, as other specs do.
 */
async function addDirectory(dataDir: string, body: ReturnType<typeof directory>): Promise<void> {
  const setup = createApp({ dataDir, shell: 'test' });
  try {
    setup.directories.save(undefined, directoryConfigSchema.parse(body.config), body.secrets);
  } finally {
    await setup.close();
  }
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // layout settles after the resize
    await page.screenshot({ path: screenshotPath(`${name}-${size.width}`) });
  }
}

test('directory scale: preview, CSV, commit with live provisioning, a 4,000-member group', async ({ page, app }) => {
  // The commit applies some 8,000 rows in one transaction; on a busy 2-core machine that takes a while.
  test.setTimeout(420_000);
  const t0 = Date.now();
  const mark = (what: string) => console.log(`[scale] ${what} at ${Math.round((Date.now() - t0) / 1000)} s`);
  const errors = watchConsole(page);
  await addDirectory(app.dataDir, directory('Corp LDAP', source, false));
  await addDirectory(app.dataDir, directory('Branch LDAP', target, true));
  await page.setViewportSize(SIZES[0]!);
  await page.goto(app.url);

  // First run: the checklist says what is done and what is next.
  const checklist = page.getByRole('region', { name: /Getting started/ });
  await expect(checklist).toContainText('1 of 5 done');
  await expect(checklist.getByRole('button', { name: 'Open Import' })).toBeVisible();
  await expect(page.getByText('No import or push has run yet.')).toBeVisible();
  await shoot(page, 'scale-dashboard-first-run');
  await expectAccessible(page, 'dashboard (first run)');

  mark('first run');
  // A 4,200-user preview: the summary card keeps its height at 1024×700, its filters work.
  await page.getByRole('tab', { name: 'Import' }).click();
  await page.getByLabel('Directory').selectOption({ label: 'Corp LDAP' });
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  const summary = page.getByRole('region', { name: 'Preview summary' });
  await expect(summary).toBeVisible({ timeout: 120_000 });
  await expect(summary).toContainText(`Read ${USERS.toLocaleString('en-US')} users`);
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const box = await summary.boundingBox();
    expect(box!.height, `summary card height at ${size.width}×${size.height}`).toBeGreaterThan(100);
  }
  await page.setViewportSize(SIZES[0]!);
  const newUsers = summary.getByRole('button', { name: `Users new: ${USERS}` });
  await newUsers.click();
  await expect(summary.getByRole('button', { name: 'Show all rows' })).toBeVisible();
  await summary.getByRole('button', { name: 'Show all rows' }).click();
  await shoot(page, 'scale-import-summary');
  await expectAccessible(page, 'import preview at scale');

  mark('preview');
  // The preview CSV: UTF-8 with a byte-order mark, the selection, formulas made text.
  await page
    .getByRole('checkbox', { name: /^Include (?!all )/ })
    .first()
    .uncheck();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export preview to CSV' }).click(),
  ]);
  const csv = await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c));
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = csv.toString('utf8').slice(1).split('\r\n');
  expect(lines[0]).toBe('seq,selected,object,action,name,attribute,old,new,reason');
  expect(lines.filter((l) => /^\d+,no,/.test(l)).length).toBeGreaterThan(0);
  expect(lines.filter((l) => /^\d+,yes,/.test(l)).length).toBeGreaterThan(USERS);
  await page
    .getByRole('checkbox', { name: /^Include (?!all )/ })
    .first()
    .check();

  mark('csv');
  // Commit: progress instead of grey buttons, then the result with the queued provisioning live.
  await page.getByRole('button', { name: 'Commit…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Commit' }).click();
  const banner = page.getByText('The import is committed');
  const progress = page.getByRole('region', { name: 'Commit progress' });
  await expect(progress.or(banner)).toBeVisible();
  if (await progress.isVisible()) {
    await expect(progress).toContainText(/Applying [\d,]+ rows to Provision Desk in one step/);
    await page.screenshot({ path: screenshotPath('scale-import-commit-progress') });
  }
  await expect(banner).toBeVisible({ timeout: 240_000 });
  const queued = page.getByRole('region', { name: 'Queued provisioning' });
  // Live while the writes go out; "up to date" once the outbox is through (it can be that quick here).
  await expect(queued).toContainText(
    /Branch LDAP[\d,]+ done · [\d,]+ pending · \d+ failed · ([\d,]+ per minute · about .* left|waiting for the directory)|Every directory is up to date/,
  );
  await shoot(page, 'scale-import-committed');
  await expectAccessible(page, 'import committed');

  mark('commit');
  // Dashboard: provisioning per directory, done / pending / failed, rate and time left, live.
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  // The writes may all be done by now (the outbox is quick against a local slapd): either state is honest.
  const now = page.getByRole('region', { name: 'Provisioning now' });
  await expect(now).toContainText(
    /Branch LDAP[\d,]+ done · [\d,]+ pending · \d+ failed · ([\d,]+ per minute · about .* left|waiting for the directory)|Every directory is up to date/,
  );
  await shoot(page, 'scale-dashboard-progress');
  await expectAccessible(page, 'dashboard with provisioning');

  await page.getByRole('tab', { name: 'Directories' }).click();
  const row = page.getByRole('row', { name: /Branch LDAP/ });
  await expect(row).toContainText(/pending|Up to date/);
  await expect(page.getByRole('row', { name: /Corp LDAP/ })).toContainText('Up to date');
  await shoot(page, 'scale-directories');
  await expectAccessible(page, 'directories with provisioning');

  mark('dashboard+directories');
  // A 4,000-member group: a virtualised list with user name and e-mail, and a search inside it.
  const big = rdnValue(seed.groupDns[1]!);
  await page.getByRole('tab', { name: 'Groups' }).click();
  await page.getByRole('row', { name: big }).click();
  const panel = page.getByRole('region', { name: `Group ${big}` });
  await expect(panel.getByText(`${BIG_GROUP.toLocaleString('en-US')} members`)).toBeVisible();
  expect(await panel.getByRole('listitem').count()).toBeLessThan(80);
  const members = panel.getByRole('list', { name: 'Members' });
  const secondary = (await members
    .getByText(/ · .+@/)
    .first()
    .textContent())!;
  const userName = secondary.split(' · ')[0]!;
  await panel.getByRole('textbox', { name: /Search the members/ }).fill(userName.toUpperCase());
  await expect(panel.getByText(/of 4,000 members match/)).toBeVisible();
  await expect(members).toContainText(userName);
  await shoot(page, 'scale-group-members');
  await expectAccessible(page, 'group with 4,000 members');

  mark('groups');
  expect(errors).toEqual([]);
});
