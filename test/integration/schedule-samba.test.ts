// Scheduled provisioning against the real Samba AD DC of the test run, with a
// clock the test moves: the scenario of schedule-support.ts. Everything lives
// under OU=pd-sched-<tag>, removed at the end.
import { Attribute, Change, Control, type Client } from 'ldapts';
import { afterAll, beforeAll, describe } from 'vitest';
import { sambaInfo } from '../services/inject.ts';
import { ldapClient, sambaDirectory, tag } from './sync-support.ts';
import { scheduleApp, scheduleScenario, type ScheduleCtx, type ScheduleSide } from './schedule-support.ts';

const info = sambaInfo();
const TAG = tag();
const ROOT = `OU=pd-sched-${TAG},${info.baseDn}`;
const PEOPLE = `OU=People,${ROOT}`;
const GROUPS = `OU=Groups,${ROOT}`;
const TREE_DELETE = '1.2.840.113556.1.4.805';
const N = 12;

let admin: Client;
let ctx: ScheduleCtx;

const login = (i: number | string) => `sc${TAG}${i}`;
const dn = (sam: string) => `CN=${sam},${PEOPLE}`;
const user = (sam: string, mail = `${sam}@${info.dnsDomain}`) => ({
  objectClass: ['top', 'person', 'organizationalPerson', 'user'],
  cn: sam,
  sn: 'Scheduled',
  givenName: 'Scheduled',
  displayName: `Scheduled ${sam}`,
  sAMAccountName: sam,
  userPrincipalName: `${sam}@${info.dnsDomain}`,
  mail,
  title: 'Engineer',
  userAccountControl: '544', // NORMAL_ACCOUNT | PASSWD_NOTREQD: enabled without a password
});

const side: ScheduleSide = {
  seeded: N,
  changed: login(5),
  added: login('new'),
  removed: login(7),
  spare: [login(8), login(9), login(10), login(11)],
  conflictLogin: login('dupe'),
  async changeOnServer() {
    await admin.modify(dn(login(5)), [
      new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Architect'] }) }),
    ]);
    await admin.add(dn(login('new')), user(login('new')));
    await admin.del(dn(login(7)));
  },
  async deleteOnServer(logins) {
    for (const l of logins) await admin.del(dn(l));
  },
  async addOnServer(sam, mail) {
    await admin.add(dn(sam), user(sam, mail));
  },
  async deleteOneOnServer(sam) {
    await admin.del(dn(sam));
  },
  config: (name) =>
    sambaDirectory(info, name, ROOT, { safety: { deleteThresholdCount: 3, deleteThresholdPercent: 100 } }),
  secrets: { bindPassword: info.adminPassword },
  deadUrl: 'ldaps://127.0.0.1:1',
};

beforeAll(async () => {
  admin = await ldapClient(info.ldapsUrl, info.adminUpn, info.adminPassword, info.caCertPem);
  for (const ou of [ROOT, PEOPLE, GROUPS]) await admin.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  for (let i = 0; i < N; i++) await admin.add(dn(login(i)), user(login(i)));
  ctx = scheduleApp(side, 'Scheduled AD');
}, 120_000);

afterAll(async () => {
  await ctx?.dispose();
  if (admin) {
    await admin.del(ROOT, new Control(TREE_DELETE)).catch(() => {});
    await admin.unbind().catch(() => {});
  }
}, 120_000);

describe('scheduled provisioning from Active Directory (Samba)', () => {
  scheduleScenario(() => ctx, side);
});
