// Every figure the issues ask for. Each measurement prepares what it needs;
// one whose feature is not in this build says so instead of inventing a number.
import { existsSync } from 'node:fs';
import { figure, median, round, runTask, warmUp, type Measurement } from './harness.ts';
import { BENCH_USERS, benchSlapd, ldapConfig, readAllWithLdapsearch } from './ldap-data.ts';

const missing = (name: string, unit: string, what: string) => [
  figure({ name, unit, notes: `not measured: ${what} is not in this build` }),
];

const ldapList: Measurement = {
  name: 'ldap-list',
  async run({ runs, log }) {
    const s = await benchSlapd(log);
    const ref: number[] = [];
    const ours: number[] = [];
    let rss = 0;
    // Reference: ldapsearch with the paged-results control, same entries and attributes.
    const ldapsearch = () => readAllWithLdapsearch(s);
    const list = () =>
      runTask<{ count: number; ms: number }>('ldap-list', { config: ldapConfig(s), password: s.adminPassword });
    // Both sides warm before timing: the reference until it settles, ours once (a freshly
    // started slapd answers its first full reads slower, and whichever side came first paid).
    await warmUp(ldapsearch, log, 'ldapsearch');
    await list();
    for (let i = 0; i < runs; i++) {
      const r = await ldapsearch();
      ref.push(r.ms);
      const o = await list();
      if (o.count !== BENCH_USERS) throw new Error(`listed ${o.count} users, expected ${BENCH_USERS}`);
      ours.push(o.ms);
      rss = Math.max(rss, o.peakRssMb);
      log(`run ${i + 1}: ldapsearch ${Math.round(r.ms)} ms, connector ${Math.round(o.ms)} ms (${o.count} users)`);
    }
    return [
      figure({
        name: `ldap: stream ${BENCH_USERS} users (slapd)`,
        unit: 'ms',
        ours: round(median(ours)),
        reference: round(median(ref)),
        peakRssMb: rss,
        runs,
        notes:
          'reference: ldapsearch -E pr=1000 on the same entries; both warm (reference run untimed until it settles, ours once)',
      }),
    ];
  },
};

/** Measurements contributed by other areas, loaded only when their files exist. */
async function optional(
  file: string,
  name: string,
  unit: string,
  what: string,
  exportName: string,
): Promise<Measurement> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) return { name, run: async () => missing(name, unit, what) };
  return ((await import(url.href)) as Record<string, Measurement>)[exportName]!;
}

export const measurements: Measurement[] = [
  ldapList,
  await optional('./samba.ts', 'samba-list', 'ms', 'the Samba AD listing bench', 'sambaListMeasurement'),
  await optional('./sync.ts', 'sync', 'ms', 'the sync engine bench', 'syncMeasurement'),
  await optional('./graph.ts', 'graph', 'requests', 'the Graph bench', 'graphMeasurement'),
  await optional('./users-filter.ts', 'users-filter', 'ms', 'the users list bench', 'usersFilterMeasurement'),
  await optional('./reports-export.ts', 'reports-export', 'ms', 'the reports export bench', 'reportsExportMeasurement'),
  await optional('./bridge-latency.ts', 'bridge-latency', 'ms', 'the bridge latency bench', 'bridgeLatencyMeasurement'),
  await optional(
    './provision-scale.ts',
    'provision-scale',
    'ms',
    'the provisioning-at-scale bench',
    'provisionScaleMeasurement',
  ),
];
