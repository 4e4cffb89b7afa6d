// Provisioning at directory scale: users and groups with their memberships (one group of 5,000
// members) into an empty slapd through the outbox, beside ldapadd of the same entries with their
// member values; and the cost of one outbox claim with a 1,000- and a 100,000-item backlog.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, median, round, timeCommand, type Measurement } from './harness.ts';
import { ldapConfig } from './ldap-data.ts';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { createApp } from '../../src-main/app.ts';
import { Db } from '../../src-main/store/db.ts';
import { OutboxRepo } from '../../src-main/store/outbox.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';

const USERS = Number(process.env.BENCH_GROUP_USERS ?? 5000);
/** One group of every user, and small groups of 100 each. */
const SMALL_GROUPS = 20;
const SMALL_SIZE = 100;

const provisionAll = (c: DirectoryConfig): DirectoryConfig => ({
  ...c,
  name: 'Bench groups',
  toggles: {
    users: { import: false, create: true, edit: true, delete: false, passwordSync: false },
    groups: { import: false, create: true, delete: false, membership: true },
  },
});

const userName = (i: number) => `grp.user${i}`;
const groupsOf = (): Array<{ name: string; members: number[] }> => [
  { name: 'Everyone', members: Array.from({ length: USERS }, (_, i) => i) },
  ...Array.from({ length: SMALL_GROUPS }, (_, g) => ({
    name: `Team ${g}`,
    members: Array.from({ length: SMALL_SIZE }, (_, k) => (g * SMALL_SIZE + k) % USERS),
  })),
];

function referenceLdif(s: SlapdServer): string {
  const users = Array.from({ length: USERS }, (_, i) =>
    [
      `dn: uid=${userName(i)},${s.peopleDn}`,
      'objectClass: top',
      'objectClass: person',
      'objectClass: organizationalPerson',
      'objectClass: inetOrgPerson',
      `uid: ${userName(i)}`,
      `cn: Group User ${i}`,
      `sn: User ${i}`,
      `givenName: Group`,
      `displayName: Group User ${i}`,
      '',
    ].join('\n'),
  );
  const groups = groupsOf().map((g) =>
    [
      `dn: cn=${g.name},${s.groupsDn}`,
      'objectClass: top',
      'objectClass: groupOfNames',
      `cn: ${g.name}`,
      ...g.members.map((m) => `member: uid=${userName(m)},${s.peopleDn}`),
      '',
    ].join('\n'),
  );
  return [...users, ...groups].join('\n');
}

/** Queues the users and groups in a fresh app, then times the outbox provisioning them. */
async function provisionThroughOutbox(target: SlapdServer, dataDir: string): Promise<{ ms: number; done: number }> {
  const app = createApp({ dataDir, shell: 'cli' });
  try {
    app.directories.save(undefined, provisionAll(ldapConfig(target)), { bindPassword: target.adminPassword });
    const ids = Array.from(
      { length: USERS },
      (_, i) =>
        app.users.create({
          userName: userName(i),
          name: { givenName: 'Group', familyName: `User ${i}` },
          displayName: `Group User ${i}`,
          emails: [],
          phoneNumbers: [],
          active: true,
        }).id,
    );
    for (const g of groupsOf()) {
      const group = app.groups.create({ displayName: g.name });
      app.groups.addMembers(
        group.id,
        g.members.map((m) => ids[m]!),
      );
    }
    const started = performance.now();
    const r = await app.sync.drain({ waitMs: 0 });
    const ms = performance.now() - started;
    if (r.failed > 0) throw new Error(`${r.failed} provisioning items failed`);
    return { ms, done: r.done };
  } finally {
    await app.close();
  }
}

async function provisionFigure(runs: number, log: (s: string) => void) {
  const ours: number[] = [];
  const refs: number[] = [];
  const memberships = groupsOf().reduce((n, g) => n + g.members.length, 0);
  for (let i = 0; i < runs; i++) {
    const [target, reference] = await Promise.all([startSlapd(), startSlapd()]);
    const dir = mkdtempSync(join(tmpdir(), 'pd-bench-groups-'));
    try {
      const ldif = join(dir, 'add.ldif');
      writeFileSync(ldif, referenceLdif(reference));
      const a = await timeCommand('ldapadd', [
        '-x',
        '-H',
        reference.url,
        '-D',
        reference.adminDn,
        '-w',
        reference.adminPassword,
        '-f',
        ldif,
      ]);
      refs.push(a.ms);
      const o = await provisionThroughOutbox(target, join(dir, 'data'));
      ours.push(o.ms);
      log(`run ${i + 1}: ldapadd ${Math.round(a.ms)} ms, outbox ${Math.round(o.ms)} ms (${o.done} items)`);
    } finally {
      await Promise.all([target.stop(), reference.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return figure({
    name: `provision: ${USERS} users and ${SMALL_GROUPS + 1} groups with ${memberships} memberships (one of ${USERS}) into slapd`,
    unit: 'ms',
    ours: round(median(ours)),
    reference: round(median(refs)),
    runs,
    notes: 'reference: ldapadd of the same entries with their member values; budget ratio ≤ 1.2',
  });
}

/**
 * Microseconds per claim of 50 items with `backlog` items waiting (claimed, then put back): a quarter of
 * them a big group's membership changes queued behind its create (running, so they cannot be claimed:
 * a claim that walks waiting items pays for them), the rest creates of distinct users.
 */
export function claimCost(backlog: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bench-claim-'));
  const db = new Db(join(dir, 'store.sqlite'));
  try {
    db.run(
      "INSERT INTO directories (id, name, kind, config, created, modified) VALUES ('d', 'D', 'ldap', '{}', '', '')",
    );
    const outbox = new OutboxRepo(db);
    db.transaction(() => {
      outbox.add({ directoryId: 'd', objectType: 'group', localId: 'big', op: 'group.create', payload: {} });
      for (let i = 0; i < backlog / 4; i++)
        outbox.add({ directoryId: 'd', objectType: 'membership', localId: 'big', op: 'membership.add', payload: {} });
      for (let i = 0; i < (backlog * 3) / 4; i++)
        outbox.add({ directoryId: 'd', objectType: 'user', localId: `u${i}`, op: 'user.create', payload: {} });
      outbox.claim('d', 1, undefined, 'another worker'); // the group's create runs
    });
    const rounds = 200;
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      const got = outbox.claim('d', 50, undefined, 'bench');
      if (got.length !== 50) throw new Error(`claimed ${got.length} items, expected 50`);
      outbox.release(got.map((g) => g.id));
    }
    return ((performance.now() - started) / rounds) * 1000;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const provisionScaleMeasurement: Measurement = {
  name: 'provision-scale',
  async run({ runs, log }) {
    const small = median(Array.from({ length: 3 }, () => claimCost(1_000)));
    const big = median(Array.from({ length: 3 }, () => claimCost(100_000)));
    log(`claim of 50: ${round(small)} µs with 1,000 waiting, ${round(big)} µs with 100,000 waiting`);
    const n = Math.max(1, Math.min(runs, 3));
    return [
      await provisionFigure(n, log),
      figure({
        name: 'outbox: one claim of 50 items, 100,000 waiting vs 1,000 waiting',
        unit: 'µs',
        ours: round(big),
        reference: round(small),
        runs: 3,
        notes: 'flat: the ratio should stay near 1 (claims read only the heads of their objects)',
      }),
    ];
  },
};
