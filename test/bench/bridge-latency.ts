// The admin's requests while provisioning runs: the bridge's answer time for the Users list and for
// opening a 5,000-member group, idle and while the outbox works through 10,000 creates into slapd in
// the same process (browser mode and the desktop app answer the bridge on the thread the worker uses).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, median, round, type Measurement } from './harness.ts';
import { ldapConfig } from './ldap-data.ts';
import { startSlapd } from '../services/slapd.ts';
import { createApp, type App } from '../../src-main/app.ts';
import { dispatch } from '../../src-main/bridge/dispatch.ts';

const QUEUED = Number(process.env.BENCH_LATENCY_ITEMS ?? 10_000);
const GROUP = 5000;

/** Answer times (ms) of `calls` requests, one after another, with a short pause between them. */
async function answerTimes(app: App, channel: string, input: unknown, calls: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    // A request as the shells make it: it waits for its turn on the event loop, then runs.
    const r = await new Promise((resolve) => setImmediate(() => resolve(dispatch(app, channel, input))));
    out.push(performance.now() - started);
    if (!(r as { ok: boolean }).ok) throw new Error(`${channel} failed: ${JSON.stringify(r)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? 0;

export const bridgeLatencyMeasurement: Measurement = {
  name: 'bridge-latency',
  async run({ log }) {
    const target = await startSlapd();
    const dataDir = mkdtempSync(join(tmpdir(), 'pd-bench-latency-'));
    const app = createApp({ dataDir, shell: 'cli' });
    try {
      // A group of 5,000 provisioned before (its opening is one of the timed requests).
      const members = Array.from(
        { length: GROUP },
        (_, i) =>
          app.users.create({
            userName: `member${i}`,
            name: { familyName: `Member ${i}` },
            emails: [],
            phoneNumbers: [],
            active: true,
          }).id,
      );
      const group = app.groups.create({ displayName: 'Big group' });
      app.groups.addMembers(group.id, members);
      app.directories.save(
        undefined,
        {
          ...ldapConfig(target),
          name: 'Bench latency',
          toggles: {
            users: { import: false, create: true, edit: false, delete: false, passwordSync: false },
            groups: { import: false, create: false, delete: false, membership: false },
          },
        },
        { bindPassword: target.adminPassword },
      );
      for (let i = 0; i < QUEUED; i++)
        app.users.create({
          userName: `queued${i}`,
          name: { familyName: `Queued ${i}` },
          emails: [],
          phoneNumbers: [],
          active: true,
        });
      const requests: Array<[string, string, unknown]> = [
        ['Users list', 'users.list', {}],
        [`opening a ${GROUP}-member group`, 'groups.get', { id: group.id }],
      ];
      const idle = new Map<string, number[]>();
      for (const [label, channel, input] of requests) idle.set(label, await answerTimes(app, channel, input, 15));
      const draining = app.sync.drain({ waitMs: 0 });
      await new Promise((r) => setTimeout(r, 1000)); // the worker is in full swing
      // Requests taken in turn while creates are still waiting; a sample counts only if the outbox was
      // still busy when it ended.
      const busy = new Map<string, number[]>(requests.map(([label]) => [label, []]));
      const pending = () => app.repos.outbox.counts().pending;
      let left = pending();
      while (left > 0 && [...busy.values()].some((xs) => xs.length < 15))
        for (const [label, channel, input] of requests) {
          const [ms] = await answerTimes(app, channel, input, 1);
          left = pending();
          if (left > 0) busy.get(label)!.push(ms!);
        }
      const r = await draining;
      log(`${r.done} creates done, ${r.failed} failed`);
      for (const [label, xs] of busy)
        if (xs.length < 5) throw new Error(`only ${xs.length} samples of "${label}" while the outbox was busy`);
      return requests.map(([label]) => {
        const a = idle.get(label)!;
        const b = busy.get(label)!;
        log(
          `${label}: idle median ${round(median(a))} ms (p90 ${round(p90(a))}), busy median ${round(median(b))} ms (p90 ${round(p90(b))})`,
        );
        return figure({
          name: `bridge: ${label}, while the outbox works through ${QUEUED} creates vs idle`,
          unit: 'ms',
          ours: round(median(b)),
          reference: round(median(a)),
          runs: b.length,
          notes: `median answer time; p90 busy ${round(p90(b))} ms vs idle ${round(p90(a))} ms; budget ratio ≤ 2`,
        });
      });
    } finally {
      await app.close();
      await target.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
