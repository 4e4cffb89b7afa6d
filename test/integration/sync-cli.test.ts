// The provision-desk command line as a child process (the real bin, Node 24
// type stripping) against a real slapd: directory add/list/verify, import
// preview/commit with --json, push, user add/delete, outbox, exit codes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { writeUsersLdif } from '../services/seed-ldif.ts';
import { allOff, allOn, cli } from './sync-support.ts';

let srv: SlapdServer;
let work: string;
let dataDir: string;
const dd = () => ['--data-dir', dataDir];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'pd-sync-cli-'));
  dataDir = join(work, 'data');
  const seed = await writeUsersLdif(join(work, 'seed.ldif'), {
    baseDn: 'dc=example,dc=test',
    count: 120,
    groups: [30, 5],
  });
  srv = await startSlapd({ seedLdif: seed.path });
});
afterAll(async () => {
  await srv?.stop();
  rmSync(work, { recursive: true, force: true });
});

function dirFile(name: string, extra: Record<string, unknown> = {}, toggles = allOn): string {
  const file = join(work, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      config: {
        kind: 'ldap',
        name,
        toggles,
        safety: { deleteThresholdCount: 10, deleteThresholdPercent: 50, deprovision: 'delete' },
        connection: {
          urls: [srv.ldapsUrl],
          caCertPem: srv.caCertPem,
          bindDn: srv.adminDn,
          baseDn: srv.baseDn,
          userSearchBase: srv.peopleDn,
          groupSearchBase: srv.groupsDn,
          userTargetOu: srv.peopleDn,
          groupTargetOu: srv.groupsDn,
          userRdnTemplate: 'uid={userName}',
        },
      },
      ...extra,
    }),
  );
  return file;
}

describe('provision-desk', () => {
  it('--help and usage errors', async () => {
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('import <name> --preview|--commit');
    const bad = await cli(['import', 'x', '--preview', '--commit', ...dd()]);
    expect(bad.code).toBe(2);
    const unknown = await cli(['frobnicate', ...dd()]);
    expect(unknown.code).toBe(2);
  });

  it('directory add (secret from stdin, never printed), list, verify', async () => {
    const add = await cli(['directory', 'add', '--file', dirFile('Lab'), '--secret-stdin', '--json', ...dd()], {
      stdin: srv.adminPassword + '\n',
    });
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ name: 'Lab', kind: 'ldap', hasSecret: true });
    expect(add.stdout + add.stderr).not.toContain(srv.adminPassword);
    const list = await cli(['directory', 'list', '--json', ...dd()]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'Lab', pending: 0, failed: 0 })]);
    const ok = await cli(['directory', 'verify', 'Lab', ...dd()]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Verified "Lab"');
    // A wrong password: non-zero with the precise error.
    const wrong = await cli([
      'directory',
      'add',
      '--file',
      dirFile('Wrong', { secrets: { bindPassword: 'not-the-password' } }, allOff),
      ...dd(),
    ]);
    expect(wrong.code).toBe(0);
    const fail = await cli(['directory', 'verify', 'Wrong', ...dd()]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toMatch(/Verification of "Wrong" failed: .*(password|credentials)/i);
    const missing = await cli(['directory', 'verify', 'Nope', ...dd()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('There is no directory named "Nope"');
  });

  it('import --preview --json is plan only (exit 3), --commit applies it (exit 0)', async () => {
    const p = await cli(['import', 'Lab', '--preview', '--json', ...dd()]);
    expect(p.code, p.stderr).toBe(3);
    const plan = JSON.parse(p.stdout);
    expect(plan).toMatchObject({
      runId: expect.any(String),
      users: { create: 120, update: 0, unchanged: 0, missing: 0, conflict: 0 },
      groups: { create: 2, update: 0, unchanged: 0, missing: 0, conflict: 0 },
      memberships: { add: 35, remove: 0 },
    });
    const c = await cli(['import', 'Lab', '--commit', '--json', ...dd()]);
    expect(c.code, c.stderr).toBe(0);
    const done = JSON.parse(c.stdout);
    expect(done.committed.users.create).toBe(120);
    expect(done.runId).not.toBe(plan.runId);
    const again = await cli(['import', 'Lab', '--preview', '--full', '--json', ...dd()]);
    expect(JSON.parse(again.stdout)).toMatchObject({ mode: 'full', modeReason: 'A full preview was asked for.' });
    expect(JSON.parse(again.stdout).users).toEqual({ create: 0, update: 0, unchanged: 120, missing: 0, conflict: 0 });
    // Without --full: only the changes since that commit (none).
    const delta = await cli(['import', 'Lab', '--preview', '--json', ...dd()]);
    expect(delta.code, delta.stderr).toBe(3);
    expect(JSON.parse(delta.stdout)).toMatchObject({
      mode: 'delta',
      users: { create: 0, update: 0, unchanged: 0, missing: 0, conflict: 0 },
    });
  });

  it('user add / user delete provision through the outbox; push --preview is plan only; outbox --json', async () => {
    const file = join(work, 'user.json');
    writeFileSync(
      file,
      JSON.stringify({
        userName: 'cli.user',
        name: { givenName: 'Cli', familyName: 'User' },
        emails: [{ value: 'cli.user@example.test', primary: true }],
        password: 'Cl1-Passw0rd!',
      }),
    );
    const add = await cli(['user', 'add', '--file', file, '--json', ...dd()]);
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout).states).toEqual([
      expect.objectContaining({ directoryName: 'Lab', state: 'provisioned' }),
    ]);
    const c = new Client({ url: srv.ldapsUrl, tlsOptions: { ca: srv.caCertPem } });
    await c.bind(`uid=cli.user,${srv.peopleDn}`, 'Cl1-Passw0rd!');
    await c.unbind();

    const push = await cli(['push', 'Lab', '--preview', '--json', ...dd()]);
    expect(push.code, push.stderr).toBe(3);
    expect(JSON.parse(push.stdout).users).toMatchObject({ create: 0, update: 0, unchanged: 121 });

    const del = await cli(['user', 'delete', 'cli.user', '--json', ...dd()]);
    expect(del.code, del.stderr).toBe(0);
    const admin = new Client({ url: srv.url });
    await admin.bind(srv.adminDn, srv.adminPassword);
    expect((await admin.search(srv.peopleDn, { filter: '(uid=cli.user)' })).searchEntries).toEqual([]);
    await admin.unbind();
    const ob = await cli(['outbox', '--json', ...dd()]);
    expect(ob.code).toBe(0);
    expect(JSON.parse(ob.stdout)).toMatchObject({ failed: 0, pending: 0, failedItems: [] });
    const nobody = await cli(['user', 'delete', 'cli.user', ...dd()]);
    expect(nobody.code).toBe(1);
  });
});
