// Graph provisioning figures: HTTP requests per created user (what $batch
// saves) and the sustained write rate as a fraction of the emulator's
// configured limit (the governor should hold at least 90% of it, never above).
import { startGraphEmulator } from '../graph-emulator/index.ts';
import { createGraphConnector } from '../../src-main/connectors/graph/index.ts';
import { benchCreateUsers } from './graph-create.ts';
import { directoryConfigSchema } from '../../src-preload/directory.ts';
import { figure, round, type Measurement } from './harness.ts';

const USERS = Number(process.env.BENCH_GRAPH_USERS ?? 1000);
const LIMIT = { count: 200, windowMs: 5000 };

export const graphMeasurement: Measurement = {
  name: 'graph',
  async run({ log }) {
    const emu = await startGraphEmulator({ writeLimit: LIMIT });
    try {
      emu.addApp({ clientId: 'bench', secret: 'bench-secret', roles: ['User.ReadWrite.All', 'Organization.Read.All'] });
      const config = directoryConfigSchema.parse({
        kind: 'entra',
        name: 'Bench tenant',
        connection: {
          tenantId: emu.tenantId,
          clientId: 'bench',
          cloud: 'custom',
          authorityUrl: emu.baseUrl,
          graphUrl: `${emu.baseUrl}/v1.0`,
          caCertPem: emu.caCertPem,
          upnDomain: emu.tenantDomain,
        },
      });
      const connector = createGraphConnector(
        config,
        { clientSecret: 'bench-secret' },
        { writeLimit: { limit: LIMIT.count, windowMs: LIMIT.windowMs } },
      );
      await connector.verify();
      const r = await benchCreateUsers(
        connector,
        USERS,
        (i) => ({
          userName: `bench.user${i}@${emu.tenantDomain}`,
          displayName: `Bench User ${i}`,
          name: { givenName: 'Bench', familyName: `User ${i}` },
          emails: [],
          phoneNumbers: [],
          active: true,
        }),
        { password: 'Bench-Passw0rd!' },
      );
      await connector.close();
      const limited = emu.log.filter((e) => e.status === 429).length;
      // The first window's worth goes at once (sliding window); the sustained
      // rate is what follows it, compared with limit / window.
      const sustained = (r.created - LIMIT.count) / (r.durationMs / 1000);
      const allowed = LIMIT.count / (LIMIT.windowMs / 1000);
      log(
        `${r.created}/${r.users} created in ${r.durationMs} ms with ${r.requests} HTTP requests; ${limited} answered 429`,
      );
      return [
        figure({
          name: `graph: HTTP requests per created user (${USERS} creates)`,
          unit: 'requests/user',
          ours: round(r.requests / r.created, 3),
          reference: 1,
          runs: 1,
          notes: `reference: one POST per user without $batch or look-up; ${r.requests} requests (look-ups by the matching rules included), ${r.failed} failed`,
        }),
        figure({
          name: 'graph: sustained write rate vs the limit',
          unit: 'writes/s',
          ours: round(sustained, 2),
          reference: allowed,
          runs: 1,
          notes: `emulator limit ${LIMIT.count} per ${LIMIT.windowMs / 1000} s; ${limited} throttled answers`,
        }),
      ];
    } finally {
      await emu.stop();
    }
  },
};
