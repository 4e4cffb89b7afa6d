// A small in-memory directory behind the Connector interface, for the sync
// engine's planning and outbox logic (unit tests only; integration tests use
// the real LDAP connector against slapd and Samba).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createApp, type App } from '../../src-main/app.ts';
import type {
  Connector,
  RemoteGroup,
  RemoteGroupData,
  RemoteUser,
  RemoteUserData,
} from '../../src-main/connectors/connector.ts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { primaryEmail } from '../../src-preload/model.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';

export class FakeDirectory {
  users = new Map<string, RemoteUser>();
  groups = new Map<string, RemoteGroup>();
  passwords = new Map<string, string>();
  /** Fail the next N writes with this error. */
  failNext: Array<ConnectorError> = [];
  /** Throw this error after `after` users were listed. */
  failListAfter?: { after: number; error: ConnectorError };
  pageSize = 3;
  calls: string[] = [];

  addUser(data: Partial<RemoteUserData> & { userName: string }): RemoteUser {
    const anchor = randomUUID();
    const u: RemoteUser = {
      anchor,
      ref: `uid=${data.userName},ou=people`,
      data: { name: {}, emails: [], phoneNumbers: [], active: true, ...data },
    };
    this.users.set(anchor, u);
    return u;
  }
  addGroup(displayName: string, members: RemoteUser[] = []): RemoteGroup {
    const g: RemoteGroup = {
      anchor: randomUUID(),
      ref: `cn=${displayName},ou=groups`,
      data: { displayName },
      members: members.map((m) => ({ ref: m.ref, type: 'User' })),
    };
    this.groups.set(g.anchor, g);
    return g;
  }
  byUserName(n: string) {
    return [...this.users.values()].find((u) => u.data.userName.toLowerCase() === n.toLowerCase());
  }
  connector(): Connector {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the fake connector's closures report to this directory
    const dir = this;
    const write = (what: string) => {
      dir.calls.push(what);
      const e = dir.failNext.shift();
      if (e) throw e;
    };
    const byRef = (ref: string) => [...dir.users.values()].find((u) => u.ref === ref);
    return {
      kind: 'ldap',
      async verify() {
        return { ok: true, steps: [], facts: {}, warnings: [] };
      },
      async *listUsers() {
        const all = [...dir.users.values()];
        for (let i = 0; i < all.length; i += dir.pageSize) {
          if (dir.failListAfter && i >= dir.failListAfter.after) throw dir.failListAfter.error;
          yield all.slice(i, i + dir.pageSize).map((u) => structuredClone(u));
        }
      },
      async *listGroups() {
        yield [...dir.groups.values()].map((g) => structuredClone(g));
      },
      async findUser(data) {
        const mail = primaryEmail(data);
        return (
          dir.byUserName(data.userName) ?? [...dir.users.values()].find((u) => mail && primaryEmail(u.data) === mail)
        );
      },
      async getUser(ref) {
        return byRef(ref);
      },
      async createUser(data, opts) {
        write(`createUser ${data.userName}`);
        if (dir.byUserName(data.userName)) throw new ConnectorError('already_exists', 'exists');
        const u = dir.addUser({ ...data });
        if (opts?.password) dir.passwords.set(u.anchor, opts.password);
        return u;
      },
      async updateUser(ref, _before, after) {
        write(`updateUser ${ref}`);
        const u = byRef(ref);
        if (!u) throw new ConnectorError('not_found', 'gone');
        u.data = { ...after, managerRef: after.managerRef };
        return u;
      },
      async setUserEnabled(ref, enabled) {
        write(`setUserEnabled ${ref} ${enabled}`);
        const u = byRef(ref);
        if (!u) throw new ConnectorError('not_found', 'gone');
        u.data.active = enabled;
      },
      async deleteUser(ref) {
        write(`deleteUser ${ref}`);
        const u = byRef(ref);
        if (u) dir.users.delete(u.anchor);
      },
      async setPassword(ref, password) {
        write(`setPassword ${ref}`);
        const u = byRef(ref);
        if (!u) throw new ConnectorError('not_found', 'gone');
        dir.passwords.set(u.anchor, password);
      },
      async findGroup(data: RemoteGroupData) {
        return [...dir.groups.values()].find((g) => g.data.displayName === data.displayName);
      },
      async createGroup(data, members) {
        write(`createGroup ${data.displayName}`);
        const g: RemoteGroup = {
          anchor: randomUUID(),
          ref: `cn=${data.displayName},ou=groups`,
          data,
          members: (members ?? []).map((ref) => ({ ref })),
        };
        dir.groups.set(g.anchor, g);
        return g;
      },
      async updateGroup(ref, changes) {
        write(`updateGroup ${ref}`);
        const g = [...dir.groups.values()].find((x) => x.ref === ref);
        if (!g) throw new ConnectorError('not_found', 'gone');
        if (changes.displayName) {
          g.data.displayName = changes.displayName;
          g.ref = `cn=${changes.displayName},ou=groups`;
        }
        if (changes.description !== undefined) g.data.description = changes.description || undefined;
        return structuredClone(g);
      },
      async deleteGroup(ref) {
        write(`deleteGroup ${ref}`);
        for (const g of dir.groups.values()) if (g.ref === ref) dir.groups.delete(g.anchor);
      },
      async addMembers(groupRef, refs) {
        write(`addMembers ${groupRef}`);
        const g = [...dir.groups.values()].find((x) => x.ref === groupRef)!;
        for (const r of refs) if (!g.members.some((m) => m.ref === r)) g.members.push({ ref: r });
      },
      async removeMembers(groupRef, refs) {
        write(`removeMembers ${groupRef}`);
        const g = [...dir.groups.values()].find((x) => x.ref === groupRef)!;
        g.members = g.members.filter((m) => !refs.includes(m.ref));
      },
      async close() {},
    };
  }
}

/**
 * A generic LDAP directory's config for tests against the in-memory directory: users and groups
 * imported, nothing else switched on, unless `over` says otherwise.
 */
export function fakeLdapConfig(name: string, over: Partial<DirectoryConfig> = {}): DirectoryConfig {
  return {
    kind: 'ldap',
    name,
    connection: {
      urls: ['ldaps://127.0.0.1:6360'],
      startTls: false,
      verifyCertificate: true,
      bindDn: 'cn=admin,dc=example,dc=test',
      baseDn: 'dc=example,dc=test',
      userSearchBase: '',
      userFilter: '',
      groupSearchBase: '',
      groupFilter: '',
      scope: 'sub',
      exclusions: [],
      userTargetOu: '',
      groupTargetOu: '',
      userRdnTemplate: 'uid={userName}',
      groupRdnTemplate: 'cn={displayName}',
      upnSuffix: '',
      pageSize: 500,
      timeoutMs: 30_000,
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
    ...over,
  } as DirectoryConfig;
}

export interface FakeDirectoryApp {
  app: App;
  dataDir: string;
  /** The in-memory directory behind each directory name (made on first use). */
  dirs: Map<string, FakeDirectory>;
}

/**
 * A fresh app for every test (its own data folder, fast outbox retries) whose connectors are
 * in-memory directories; registers the beforeEach/afterEach that make and remove it.
 */
export function useFakeDirectoryApp(prefix: string): FakeDirectoryApp {
  const t = {} as FakeDirectoryApp;
  beforeEach(() => {
    t.dataDir = mkdtempSync(join(tmpdir(), prefix));
    t.dirs = new Map();
    t.app = createApp({
      dataDir: t.dataDir,
      shell: 'test',
      outbox: { baseBackoffMs: 20, maxBackoffMs: 50, idleMs: 20 },
      createConnector: (config) => {
        let d = t.dirs.get(config.name);
        if (!d) t.dirs.set(config.name, (d = new FakeDirectory()));
        return d.connector();
      },
    });
  });
  afterEach(async () => {
    await t.app.close();
    rmSync(t.dataDir, { recursive: true, force: true });
  });
  return t;
}
