// Streamed listing from a real Active Directory (the Samba AD DC of
// test/services/samba.ts) next to `ldapsearch -E pr=1000` on the same DC,
// same entries, same attributes. The DC is one per machine (fixed ports
// 389/636): startSambaDc takes the machine lock the integration tests use,
// so this bench waits a short while for a test run to end and otherwise says
// it did not measure. Needs root (samba refuses to run as another user).
import { Client } from 'ldapts';
import { startSambaDc, type SambaDc } from '../services/samba.ts';
import { escapeDnValue } from '../../src-main/connectors/ldap/escape.ts';
import { resolveSettings } from '../../src-main/connectors/ldap/settings.ts';
import { userAttributes } from '../../src-main/connectors/ldap/read.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { figure, median, round, runTask, timeCommand, type Measurement } from './harness.ts';

export const SAMBA_USERS = Number(process.env.BENCH_SAMBA_USERS ?? 3000);
/** How long to wait for a test run to release the DC before giving up (not measuring). */
const LOCK_WAIT_MS = Number(process.env.BENCH_SAMBA_WAIT_MS ?? 60_000);
const NAME = `ldap: stream ${SAMBA_USERS} users (Samba AD)`;

function adConfig(dc: SambaDc, ou: string): DirectoryConfig {
  return {
    kind: 'activeDirectory',
    name: 'Bench AD',
    connection: {
      urls: [dc.ldapsUrl],
      startTls: false,
      verifyCertificate: true,
      caCertPem: dc.caCertPem,
      bindDn: dc.adminUpn,
      baseDn: dc.baseDn,
      userSearchBase: ou,
      userFilter: '',
      groupSearchBase: ou,
      groupFilter: '',
      scope: 'sub',
      exclusions: [],
      userTargetOu: ou,
      groupTargetOu: ou,
      userRdnTemplate: 'CN={displayName}',
      groupRdnTemplate: 'CN={displayName}',
      upnSuffix: dc.dnsDomain,
      pageSize: 1000,
      timeoutMs: 600_000,
      connectTimeoutMs: 10_000,
    },
    toggles: {
      users: { import: true, create: false, edit: false, delete: false, passwordSync: false },
      groups: { import: true, create: false, delete: false, membership: false },
    },
    userMapping: [],
    groupMapping: [],
    matching: ['userName', 'email'],
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable' },
  } as DirectoryConfig;
}

const surnames = ['Smith, Jr.', "O'Brien", 'Müller', 'García+López', 'Nguyễn', '#Hash', 'Åberg', 'Lee'];

/** Adds the users over LDAPS: 4 connections, 8 requests in flight on each. */
async function seed(dc: SambaDc, ou: string, log: (s: string) => void): Promise<void> {
  const t0 = performance.now();
  const clients = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const c = new Client({ url: dc.ldapsUrl, tlsOptions: { ca: dc.caCertPem }, timeout: 120_000 });
      await c.bind(dc.adminUpn, dc.adminPassword);
      return c;
    }),
  );
  try {
    await clients[0]!.add(ou, { objectClass: ['top', 'organizationalUnit'] });
    let next = 0;
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < SAMBA_USERS; i = next++) {
            const sn = `${surnames[i % surnames.length]} ${i}`;
            const given = `Bench${i % 97}`;
            const login = `bu${i}`;
            await c.add(`CN=${escapeDnValue(`${given} ${sn}`)},${ou}`, {
              objectClass: ['top', 'person', 'organizationalPerson', 'user'],
              sAMAccountName: login,
              userPrincipalName: `${login}@${dc.dnsDomain}`,
              givenName: given,
              sn,
              displayName: `${given} ${sn}`,
              mail: `${login}@${dc.dnsDomain}`,
              title: i % 2 ? 'Engineer' : 'Analyst',
              department: `Dept ${i % 13}`,
              telephoneNumber: `+1 555 ${String(i).padStart(4, '0')}`,
              employeeID: `E${i}`,
            });
          }
        }),
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.unbind().catch(() => {})));
  }
  log(`seeded ${SAMBA_USERS} users into the Samba DC over LDAPS in ${Math.round(performance.now() - t0)} ms`);
}

export const sambaListMeasurement: Measurement = {
  name: 'samba-list',
  async run({ runs, log }) {
    if (process.getuid?.() !== 0)
      return [figure({ name: NAME, unit: 'ms', notes: 'not measured: the Samba AD DC runs only as root' })];
    let dc: SambaDc;
    try {
      dc = await startSambaDc({ lockWaitMs: LOCK_WAIT_MS });
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      const busy = /holds the machine's Samba AD DC/.test(why);
      return [
        figure({
          name: NAME,
          unit: 'ms',
          notes: busy
            ? `not measured: a test run holds the Samba AD DC (one per machine, ports 389/636); run the bench after it, or set BENCH_SAMBA_WAIT_MS (now ${LOCK_WAIT_MS} ms) to wait longer`
            : `not measured: ${why}`,
        }),
      ];
    }
    try {
      log(`Samba ${dc.sambaVersion} AD DC up in ${Math.round((dc.provisionMs + dc.startMs) / 1000)} s`);
      const ou = `OU=Bench,${dc.baseDn}`;
      await seed(dc, ou, log);
      const config = adConfig(dc, ou);
      // The reference reads exactly what the connector asks for.
      const attributes = userAttributes(resolveSettings(config));
      const filter = '(&(objectClass=user)(!(objectClass=computer)))';
      const env = { ...process.env, LDAPTLS_CACERT: dc.caCertPath, LDAPTLS_REQCERT: 'demand' };
      const ref: number[] = [];
      const ours: number[] = [];
      let rss = 0;
      for (let i = 0; i < runs; i++) {
        const r = await timeCommand(
          'ldapsearch',
          [
            '-x',
            '-LLL',
            '-H',
            dc.ldapsUrl,
            '-D',
            dc.adminUpn,
            '-w',
            dc.adminPassword,
            '-b',
            ou,
            '-E',
            'pr=1000/noprompt',
            filter,
            ...attributes,
          ],
          { env },
        );
        ref.push(r.ms);
        const o = await runTask<{ count: number; ms: number }>('ldap-list', { config, password: dc.adminPassword });
        if (o.count !== SAMBA_USERS) throw new Error(`listed ${o.count} users from Samba, expected ${SAMBA_USERS}`);
        ours.push(o.ms);
        rss = Math.max(rss, o.peakRssMb);
        log(`run ${i + 1}: ldapsearch ${Math.round(r.ms)} ms, connector ${Math.round(o.ms)} ms (${o.count} users)`);
      }
      return [
        figure({
          name: NAME,
          unit: 'ms',
          ours: round(median(ours)),
          reference: round(median(ref)),
          peakRssMb: rss,
          runs,
          notes: 'LDAPS; reference: ldapsearch -E pr=1000 on the same DC, entries and attributes',
        }),
      ];
    } finally {
      await dc.stop();
    }
  },
};
