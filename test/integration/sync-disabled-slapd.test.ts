// Disabled users imported from one directory into an OpenLDAP that cannot
// hold a disabled account (no ppolicy), against real slapd servers: the
// preview says so per directory before anything is queued, the commit leaves
// those users out (skipped, with the reason, their edits and memberships with
// them) instead of failing them one by one, Verify names the missing overlay,
// the "created locked" choice writes the admin's lock attribute, and a
// directory with ppolicy gets them created locked.
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { allOn, importOnly, ldapClient, slapdDirectory, testApp, type TestApp } from './sync-support.ts';

const provisionOnly = {
  ...allOn,
  users: { ...allOn.users, import: false },
  groups: { ...allOn.groups, import: false },
};

let source: SlapdServer;
let srcAdmin: Client;
/** Source users: uid → disabled? (ppolicy lock in the source). */
const PEOPLE: Array<[string, boolean]> = [
  ['ada', false],
  ['brian', false],
  ['chen', false],
  ['dora', true],
  ['emil', true],
];

/** An attribute's single value, or null when the entry has none (ldapts gives []). */
const valueOf = (v: unknown) => (v === undefined || (Array.isArray(v) && v.length === 0) ? null : String(v));

async function entries(srv: SlapdServer, base: string, filter: string, attributes = ['*']) {
  const c = await ldapClient(srv.url, srv.adminDn, srv.adminPassword);
  try {
    return (await c.search(base, { filter, attributes })).searchEntries;
  } finally {
    await c.unbind();
  }
}

beforeAll(async () => {
  source = await startSlapd();
  expect(source.ppolicy, 'the source slapd loads ppolicy').toBe(true);
  srcAdmin = await ldapClient(source.url, source.adminDn, source.adminPassword);
  const dn = (uid: string) => `uid=${uid},${source.peopleDn}`;
  for (const [uid, disabled] of PEOPLE) {
    await srcAdmin.add(dn(uid), {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid,
      cn: uid,
      sn: uid,
      displayName: uid,
      mail: `${uid}@example.test`,
      // emil reports to ada: the commit sets his manager with an edit after his create.
      ...(uid === 'emil' ? { manager: dn('ada') } : {}),
    });
    if (disabled)
      await srcAdmin.modify(
        dn(uid),
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }),
        }),
      );
  }
  await srcAdmin.add(`cn=staff,${source.groupsDn}`, {
    objectClass: ['top', 'groupOfNames'],
    cn: 'staff',
    member: PEOPLE.map(([uid]) => dn(uid)),
  });
});
afterAll(async () => {
  await srcAdmin?.unbind().catch(() => undefined);
  await source?.stop();
});

describe('into an OpenLDAP without ppolicy', () => {
  let lab: SlapdServer;
  let t: TestApp;
  beforeAll(async () => {
    lab = await startSlapd({ ppolicy: false });
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await lab?.stop();
  });

  it('Verify says the server cannot hold a disabled account, and why', async () => {
    const d = t.app.directories.save(undefined, slapdDirectory(lab, 'Lab verify', { toggles: importOnly }), {
      bindPassword: lab.adminPassword,
    });
    const r = await t.app.directories.verify({ id: d.id, secrets: {} });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const step = r.steps.find((s) => s.name === 'Check that accounts can be disabled');
    expect(step).toMatchObject({ ok: false });
    expect(step?.detail).toMatch(
      /cannot hold a disabled account: the password policy overlay \(ppolicy\) is not loaded/,
    );
    expect(r.facts.canHoldDisabled).toBe(false);
    expect(r.warnings.join(' ')).toMatch(/Load ppolicy, or map "active"/);

    const withPolicy = t.app.directories.save(undefined, slapdDirectory(source, 'Source verify'), {
      bindPassword: source.adminPassword,
    });
    const ok = await t.app.directories.verify({ id: withPolicy.id, secrets: {} });
    expect(ok.steps.find((s) => s.name === 'Check that accounts can be disabled')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/ppolicy\) is loaded/),
    });
    t.app.directories.delete(d.id);
    t.app.directories.delete(withPolicy.id);
  });

  it('disabled users are not created: the preview says so in one line, the commit skips them with their memberships and edits, nothing fails', async () => {
    const app = t.app;
    const src = app.directories.save(undefined, slapdDirectory(source, 'Corp LDAP'), {
      bindPassword: source.adminPassword,
    });
    const target = app.directories.save(undefined, slapdDirectory(lab, 'Lab LDAP', { toggles: provisionOnly }), {
      bindPassword: lab.adminPassword,
    });
    const preview = await app.sync.previewImport(src.id);
    expect(preview.users.create).toBe(5);
    expect(preview.downstream).toHaveLength(1);
    const down = preview.downstream![0]!;
    expect(down).toMatchObject({
      directoryName: 'Lab LDAP',
      users: { create: 3 },
      groups: { create: 1 },
      memberships: { add: 3 },
      disabledUsers: 2,
      disabled: 'notCreated',
      notCreated: 2,
      // dora's and emil's memberships of staff, and emil's manager edit
      leftOutWithThem: 3,
    });
    expect(down.line).toBe(
      'Lab LDAP: 3 users to create, 1 group to create, 3 members to add; 2 disabled users not created ' +
        '(this directory cannot hold a disabled account: the password policy overlay (ppolicy) is not loaded. ' +
        'Load ppolicy, or map "active" to an attribute of your own), with 3 edits and memberships of theirs.',
    );

    const result = app.sync.commitImport({ runId: preview.runId });
    expect(result.committed.downstream).toHaveLength(1);
    const done = result.committed.downstream![0]!;
    expect(done).toMatchObject({
      directoryName: 'Lab LDAP',
      queued: { 'user.create': 3, 'group.create': 1, 'membership.add': 3 },
      notCreated: 2,
      leftOutWithThem: 3,
    });
    expect(done.line).toMatch(
      /^Lab LDAP: 3 user creates, 1 group creates, 3 member adds queued; 2 disabled users not created \(this directory cannot hold/,
    );
    await app.sync.drain();

    // Nothing failed; the three active users and the group with its three members are there.
    expect(app.repos.outbox.counts(target.id)).toMatchObject({ pending: 0, running: 0, failed: 0 });
    const people = await entries(lab, lab.peopleDn, '(objectClass=inetOrgPerson)', ['uid']);
    expect(people.map((e) => String(e.uid)).sort()).toEqual(['ada', 'brian', 'chen']);
    const staff = await entries(lab, lab.groupsDn, '(cn=staff)', ['member']);
    expect(([] as unknown[]).concat(staff[0]!.member).map(String).sort()).toEqual(
      ['ada', 'brian', 'chen'].map((u) => `uid=${u},${lab.peopleDn}`),
    );

    // Each left-out user: a 'skipped' link with the reason, one skipped report entry, no failure anywhere.
    for (const uid of ['dora', 'emil']) {
      const u = app.repos.users.byUserName(uid)!;
      expect(app.repos.links.get(target.id, 'user', u.id)).toMatchObject({
        state: 'skipped',
        anchor: null,
        reason: expect.stringMatching(/^Not created while disabled: This directory cannot hold a disabled account/),
      });
    }
    const lab_ = app.db.all<{ status: string; action: string; user_identifier: string }>(
      "SELECT status, action, user_identifier FROM report_entries WHERE application = 'Lab LDAP'",
    );
    expect(lab_.filter((e) => e.status === 'failure')).toEqual([]);
    expect(lab_.filter((e) => e.status === 'skipped').map((e) => [e.action, e.user_identifier])).toEqual([
      ['create', 'dora'],
      ['create', 'emil'],
    ]);

    // Once active, a left-out user is created there, with its membership.
    const dora = app.repos.users.byUserName('dora')!;
    const { id: _id, meta: _meta, ...input } = dora;
    app.users.update(dora.id, { ...input, active: true });
    await app.sync.drain();
    expect(app.repos.outbox.counts(target.id)).toMatchObject({ pending: 0, failed: 0 });
    expect(app.repos.links.get(target.id, 'user', dora.id)).toMatchObject({ state: 'provisioned' });
    const staffAfter = await entries(lab, lab.groupsDn, '(cn=staff)', ['member']);
    expect(([] as unknown[]).concat(staffAfter[0]!.member).map(String)).toContain(`uid=dora,${lab.peopleDn}`);

    // A disabled user made in the app is decided the same way when it is queued: nothing to fail there.
    const fay = app.users.create({
      userName: 'fay',
      name: { familyName: 'Fay' },
      emails: [],
      phoneNumbers: [],
      active: false,
    });
    expect(app.repos.outbox.unfinishedFor(fay.id, target.id)).toEqual([]);
    expect(app.repos.links.get(target.id, 'user', fay.id)?.state).toBe('skipped');
    await app.sync.drain();
    expect(app.repos.outbox.counts(target.id)).toMatchObject({ failed: 0 });
  });

  it('with "created locked" through an attribute the server knows, disabled users are created locked there', async () => {
    const lab2 = await startSlapd({ ppolicy: false });
    const t2 = testApp();
    try {
      const app = t2.app;
      const src = app.directories.save(undefined, slapdDirectory(source, 'Corp LDAP'), {
        bindPassword: source.adminPassword,
      });
      const cfg: DirectoryConfig = {
        ...slapdDirectory(lab2, 'Lab locked', { toggles: provisionOnly }),
        disabledUsers: { whereNotWritable: 'createdLocked', lockAttribute: 'employeeType' },
      };
      const target = app.directories.save(undefined, cfg, { bindPassword: lab2.adminPassword });
      const preview = await app.sync.previewImport(src.id);
      expect(preview.downstream![0]).toMatchObject({
        users: { create: 5 },
        disabledUsers: 2,
        disabled: 'created',
        notCreated: 0,
        memberships: { add: 5 },
      });
      expect(preview.downstream![0]!.line).toBe(
        'Lab locked: 5 users to create (2 disabled, written to employeeType), 1 user edit, 1 group to create, 5 members to add.',
      );
      app.sync.commitImport({ runId: preview.runId });
      await app.sync.drain();
      expect(app.repos.outbox.counts(target.id)).toMatchObject({ pending: 0, failed: 0 });
      const people = await entries(lab2, lab2.peopleDn, '(objectClass=inetOrgPerson)', ['uid', 'employeeType']);
      const lock = Object.fromEntries(people.map((e) => [String(e.uid), valueOf(e.employeeType)]));
      expect(lock).toEqual({ ada: null, brian: null, chen: null, dora: 'FALSE', emil: 'FALSE' });
      const v = await app.directories.verify({ id: target.id, secrets: {} });
      expect(v.facts.disabledAccounts).toBe('Accounts can be disabled through employeeType.');
    } finally {
      await t2.dispose();
      await lab2.stop();
    }
  });
});

describe('into an OpenLDAP with ppolicy', () => {
  let lab: SlapdServer;
  let t: TestApp;
  beforeAll(async () => {
    lab = await startSlapd();
    t = testApp();
  });
  afterAll(async () => {
    await t?.dispose();
    await lab?.stop();
  });

  it('disabled users are created, locked with pwdAccountLockedTime, and the preview has nothing to warn about', async () => {
    const app = t.app;
    const src = app.directories.save(undefined, slapdDirectory(source, 'Corp LDAP'), {
      bindPassword: source.adminPassword,
    });
    const target = app.directories.save(undefined, slapdDirectory(lab, 'Policy LDAP', { toggles: provisionOnly }), {
      bindPassword: lab.adminPassword,
    });
    const preview = await app.sync.previewImport(src.id);
    expect(preview.downstream![0]).toMatchObject({ disabledUsers: 2, disabled: 'created', notCreated: 0 });
    expect(preview.downstream![0]!.line).toBe(
      'Policy LDAP: 5 users to create (2 disabled, written to pwdAccountLockedTime), 1 user edit, 1 group to create, 5 members to add.',
    );
    app.sync.commitImport({ runId: preview.runId });
    await app.sync.drain();
    expect(app.repos.outbox.counts(target.id)).toMatchObject({ pending: 0, failed: 0 });
    const people = await entries(lab, lab.peopleDn, '(objectClass=inetOrgPerson)', ['uid', 'pwdAccountLockedTime']);
    const lock = Object.fromEntries(people.map((e) => [String(e.uid), valueOf(e.pwdAccountLockedTime)]));
    expect(lock).toEqual({
      ada: null,
      brian: null,
      chen: null,
      dora: '000001010000Z',
      emil: '000001010000Z',
    });
  });
});
