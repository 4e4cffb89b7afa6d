// Delta imports from a real OpenLDAP slapd (entryCSN + the anchor set in the
// token): the scenario of sync-delta-support.ts. Needs no Samba: run with PD_SAMBA=off.
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe } from 'vitest';
import { startSlapd, type SlapdServer } from '../services/slapd.ts';
import { ldapClient, slapdDirectory, testApp, type TestApp } from './sync-support.ts';
import { deltaScenario } from './sync-delta-support.ts';

const N = 12;
let srv: SlapdServer;
let admin: Client;
let t: TestApp;
let dirId = '';

const login = (i: number | string) => `delta${i}`;
const person = (i: number | string) => ({
  objectClass: ['inetOrgPerson'],
  uid: login(i),
  cn: `Delta User ${i}`,
  sn: `User${i}`,
  givenName: 'Delta',
  displayName: `Delta User ${i}`,
  mail: `${login(i)}@example.test`,
  title: 'Engineer',
});

beforeAll(async () => {
  srv = await startSlapd();
  admin = await ldapClient(srv.ldapsUrl, srv.adminDn, srv.adminPassword, srv.caCertPem);
  for (let i = 0; i < N; i++) await admin.add(`uid=${login(i)},${srv.peopleDn}`, person(i));
  // A group whose members the scenario leaves alone: its membership must not show up in the delta.
  await admin.add(`cn=delta-team,${srv.groupsDn}`, {
    objectClass: ['groupOfNames'],
    cn: 'delta-team',
    member: [`uid=${login(0)},${srv.peopleDn}`, `uid=${login(1)},${srv.peopleDn}`],
  });
  t = testApp();
  dirId = t.app.directories.save(undefined, slapdDirectory(srv, 'Delta slapd'), { bindPassword: srv.adminPassword }).id;
}, 60_000);

afterAll(async () => {
  await admin?.unbind().catch(() => {});
  await t?.dispose();
  await srv?.stop();
});

describe('delta import from slapd', () => {
  deltaScenario(() => ({ t, dirId }), {
    seeded: N,
    changed: login(5),
    added: login('new'),
    removed: login(7),
    titles: ['Engineer', 'Architect'],
    async changeOnServer() {
      await admin.modify(`uid=${login(5)},${srv.peopleDn}`, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Architect'] }) }),
      ]);
      await admin.add(`uid=${login('new')},${srv.peopleDn}`, person('new'));
      await admin.del(`uid=${login(7)},${srv.peopleDn}`);
    },
  });
});
