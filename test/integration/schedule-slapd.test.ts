// Scheduled provisioning against a real OpenLDAP slapd, with a clock the test
// moves: the scenario of schedule-support.ts. Needs no Samba: run with PD_SAMBA=off.
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { ldapClient, slapdDirectory } from './sync-support.ts';
import { scheduleApp, scheduleScenario, type ScheduleCtx, type ScheduleSide } from './schedule-support.ts';

const N = 12;
let srv: SlapdServer;
let admin: Client;
let ctx: ScheduleCtx;

const login = (i: number | string) => `sched${i}`;
const person = (uid: string, mail = `${uid}@example.test`) => ({
  objectClass: ['inetOrgPerson'],
  uid,
  cn: `Scheduled User ${uid}`,
  sn: `User ${uid}`,
  givenName: 'Scheduled',
  displayName: `Scheduled User ${uid}`,
  mail,
  title: 'Engineer',
});
const dn = (uid: string) => `uid=${uid},${srv.peopleDn}`;

const side: ScheduleSide = {
  seeded: N,
  changed: login(5),
  added: login('new'),
  removed: login(7),
  spare: [login(8), login(9), login(10), login(11)],
  conflictLogin: 'sched-dupe',
  async changeOnServer() {
    await admin.modify(dn(login(5)), [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Architect'] }) }),
    ]);
    await admin.add(dn(login('new')), person(login('new')));
    await admin.del(dn(login(7)));
  },
  async deleteOnServer(logins) {
    for (const l of logins) await admin.del(dn(l));
  },
  async addOnServer(uid, mail) {
    await admin.add(dn(uid), person(uid, mail));
  },
  async deleteOneOnServer(uid) {
    await admin.del(dn(uid));
  },
  config: (name) => slapdDirectory(srv, name, { safety: { deleteThresholdCount: 3, deleteThresholdPercent: 100 } }),
  get secrets() {
    return { bindPassword: srv.adminPassword };
  },
  deadUrl: 'ldaps://127.0.0.1:1',
};

beforeAll(async () => {
  srv = await startSlapd();
  admin = await ldapClient(srv.ldapsUrl, srv.adminDn, srv.adminPassword, srv.caCertPem);
  for (let i = 0; i < N; i++) await admin.add(dn(login(i)), person(login(i)));
  ctx = scheduleApp(side, 'Scheduled slapd');
}, 60_000);

afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await ctx?.dispose();
  await srv?.stop();
});

describe('scheduled provisioning from slapd', () => {
  scheduleScenario(() => ctx, side);
});
