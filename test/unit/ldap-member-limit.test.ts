// A server that refuses a request carrying more member values than it takes at once (Active Directory
// answers adminLimitExceeded) still gets every member: the add and the modifies split in halves. The
// real servers take a 5,000-member group in one request (test/integration/provision-scale-slapd.test.ts).
import { AdminLimitExceededError, Attribute, Change, type Client } from 'ldapts';
import { describe, expect, it } from 'vitest';
import type { LdapSession } from '../../src-main/connectors/ldap/connection.ts';
import { resolveSettings } from '../../src-main/connectors/ldap/settings.ts';
import { addMembers, createGroup, MEMBER_VALUES_PER_REQUEST } from '../../src-main/connectors/ldap/write.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';

const settings = resolveSettings({
  kind: 'activeDirectory',
  name: 'Corp',
  connection: {
    urls: ['ldaps://dc.example.test'],
    startTls: false,
    verifyCertificate: true,
    bindDn: 'CN=admin,CN=Users,DC=example,DC=test',
    baseDn: 'DC=example,DC=test',
    userSearchBase: '',
    userFilter: '',
    groupSearchBase: '',
    groupFilter: '',
    scope: 'sub',
    exclusions: [],
    userTargetOu: 'OU=People,DC=example,DC=test',
    groupTargetOu: 'OU=Groups,DC=example,DC=test',
    userRdnTemplate: '',
    groupRdnTemplate: '',
    upnSuffix: '',
    pageSize: 500,
    timeoutMs: 30_000,
    connectTimeoutMs: 10_000,
  },
  userMapping: [],
  groupMapping: [],
} as unknown as DirectoryConfig);

/** A directory that holds each group's members and takes at most `limit` values per request. */
function limitedServer(limit: number) {
  const groups = new Map<string, Set<string>>();
  const requests: Array<{ op: string; values: number }> = [];
  const refuse = (n: number) => {
    if (n > limit) throw new AdminLimitExceededError('Administrative limit exceeded');
  };
  const client = {
    add: async (dn: string, entry: Record<string, string[]>) => {
      const values = entry.member ?? [];
      requests.push({ op: 'add', values: values.length });
      refuse(values.length);
      groups.set(dn, new Set(values));
    },
    modify: async (dn: string, change: Change) => {
      const values = (change.modification as Attribute).values as string[];
      requests.push({ op: change.operation, values: values.length });
      refuse(values.length);
      for (const v of values) groups.get(dn)!.add(v);
    },
  };
  const session = {
    client: client as unknown as Client,
    url: 'ldaps://dc.example.test',
    tls: 'ldaps',
    close: async () => {},
  };
  return { session: session as unknown as LdapSession, groups, requests };
}

const members = (n: number) => Array.from({ length: n }, (_, i) => `CN=User ${i},OU=People,DC=example,DC=test`);

describe('member values beyond what the server takes in one request', () => {
  it('writes a group of 5,000 in one add when the server takes it', async () => {
    const server = limitedServer(Infinity);
    await createGroup(server.session, settings, { displayName: 'Everyone' }, members(5000));
    expect(MEMBER_VALUES_PER_REQUEST).toBe(5000);
    expect(server.requests).toEqual([{ op: 'add', values: 5000 }]);
    expect(server.groups.get('CN=Everyone,OU=Groups,DC=example,DC=test')?.size).toBe(5000);
  });

  it('creates the group with a part of its members and adds the rest in halves on adminLimitExceeded', async () => {
    const server = limitedServer(1500);
    const dn = await createGroup(server.session, settings, { displayName: 'Everyone' }, members(5000));
    expect(server.groups.get(dn)?.size).toBe(5000);
    // Refused whole; then created with a quarter of them; the rest go in modifies halved until taken.
    expect(server.requests.slice(0, 2)).toEqual([
      { op: 'add', values: 5000 },
      { op: 'add', values: 1250 },
    ]);
    const taken = server.requests.slice(1).filter((r) => r.values <= 1500);
    expect(taken.reduce((n, r) => n + r.values, 0)).toBe(5000);
    expect(server.requests.slice(2).every((r) => r.op === 'add')).toBe(true); // modify adds, never deletes
  });

  it('splits a modify the server refuses as too big until every member is in', async () => {
    const server = limitedServer(700);
    server.groups.set('CN=Big,OU=Groups,DC=example,DC=test', new Set());
    await addMembers(server.session, settings, 'CN=Big,OU=Groups,DC=example,DC=test', members(3000));
    expect(server.groups.get('CN=Big,OU=Groups,DC=example,DC=test')?.size).toBe(3000);
    const accepted = server.requests.filter((r) => r.values <= 700);
    expect(accepted.reduce((n, r) => n + r.values, 0)).toBe(3000);
  });
});
