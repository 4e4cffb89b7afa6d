// A full import from a real slapd takes its delta token from the listing itself (each entry's
// entryCSN as read, no scan before the read): an entry another admin changes while that listing is
// still running, after it was read, shows in the next delta. Needs no Samba: run with PD_SAMBA=off.
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src-preload/contract/app.ts';
import { readDeltaState } from '../../src-main/sync/delta.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { ldapClient, slapdDirectory, testApp, type TestApp } from './sync-support.ts';

const N = 200;
let srv: SlapdServer;
let admin: Client;
let t: TestApp;
let dirId = '';

const login = (i: number) => `listed${i}`;

beforeAll(async () => {
  srv = await startSlapd();
  admin = await ldapClient(srv.ldapsUrl, srv.adminDn, srv.adminPassword, srv.caCertPem);
  // In order: slapd lists them as created, so listed0 comes in the first page.
  for (let i = 0; i < N; i++)
    await admin.add(`uid=${login(i)},${srv.peopleDn}`, {
      objectClass: ['inetOrgPerson'],
      uid: login(i),
      cn: login(i),
      sn: login(i),
      mail: `${login(i)}@example.test`,
      title: 'Engineer',
    });
  t = testApp();
  // Pages of 2: the listing takes 100 pages, so the change lands while it runs.
  dirId = t.app.directories.save(undefined, slapdDirectory(srv, 'Listing slapd', { pageSize: 2 }), {
    bindPassword: srv.adminPassword,
  }).id;
}, 120_000);

afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await t?.dispose();
  await srv?.stop();
});

describe('delta token from the full listing (slapd)', () => {
  it('an entry changed during the full read, after it was listed, shows in the next delta', async () => {
    let pages = 0;
    let change: Promise<void> | undefined;
    let pagesWhenChanged = -1;
    const unsub = t.app.events.subscribe((name, p) => {
      if (name !== 'app.progress' || (p as Progress).phase !== 'reading users') return;
      pages++;
      // After the first page (listed0 read): another admin retitles listed0 while the listing goes on.
      change ??= admin
        .modify(`uid=${login(0)},${srv.peopleDn}`, [
          new Change({
            operation: 'replace',
            modification: new Attribute({ type: 'title', values: ['Changed during the read'] }),
          }),
        ])
        .then(() => {
          pagesWhenChanged = pages;
        });
    });
    let full;
    try {
      full = await t.app.sync.previewImport(dirId);
      await change;
    } finally {
      unsub();
    }
    expect(full.mode).toBe('full');
    expect(full.users.create).toBe(N);
    // The change was made while users were still being listed, and the listing had read listed0 before it.
    expect(pagesWhenChanged).toBeGreaterThan(0);
    expect(pagesWhenChanged).toBeLessThan(pages);
    const row = t.app.sync
      .rows(full.runId, { limit: N })
      .rows.find((r) => r.display.startsWith(`${login(0)} `) || r.display === login(0));
    expect(row?.changes).toMatchObject({ title: [null, 'Engineer'] });
    // The run's token is the listing's (v2: each entry's entryCSN as read).
    expect(JSON.parse(t.app.repos.runs.get(full.runId)!.delta!.token!)).toMatchObject({ v: 2, t: 'ldap' });

    t.app.sync.commitImport({ runId: full.runId });
    expect(readDeltaState(t.app.repos.directories.get(dirId)!).token).toBeDefined();
    const d = await t.app.sync.previewImport(dirId);
    expect(d.mode).toBe('delta');
    const rows = t.app.sync.rows(d.runId).rows;
    expect(rows.map((r) => r.action)).toEqual(['update']);
    expect(rows[0]!.display).toContain(login(0));
    expect(rows[0]!.changes).toEqual({ title: ['Engineer', 'Changed during the read'] });
    t.app.sync.commitImport({ runId: d.runId });
    expect(t.app.repos.users.byUserName(login(0))!.title).toBe('Changed during the read');
    // And nothing is left to do after it.
    const next = await t.app.sync.previewImport(dirId);
    expect(next.mode).toBe('delta');
    expect(t.app.sync.rows(next.runId).total).toBe(0);
  }, 120_000);
});
