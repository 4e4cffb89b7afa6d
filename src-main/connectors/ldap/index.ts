// The Active Directory and generic LDAP connector (ldapts), behind the one
// Connector interface. Concerns live in their own files:
//   settings.ts   configuration resolved with the kind's defaults
//   connection.ts URLs in order, LDAPS/StartTLS, CA, timeouts, bind
//   escape.ts     RFC 4514 DN / RFC 4515 filter escaping, DN parsing
//   filter.ts     filter strings → filter objects with correct bytes
//   errors.ts     ldapts / socket / TLS errors → ConnectorError
//   guid.ts       objectGUID bytes ↔ canonical string
//   mapping.ts    attribute mapping defaults and conversions
//   read.ts       paged streaming, ranged member retrieval, nested groups
//   write.ts      create / update / rename / enable / delete / password / groups
//   match.ts      "exists already?" inside the scope; protected AD objects never written
//   delta.ts      changes since a token (AD USN + tombstones, LDAP per-entry entryCSN)
//   verify.ts     Verify Credentials
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import type { VerifyResult } from '../../../src-preload/contract/directories.ts';
import {
  ConnectorError,
  type AccountLockSupport,
  type Connector,
  type CreateUserOptions,
  type DeltaResult,
  type DeltaToken,
  type ListOptions,
  type Page,
  type RemoteGroup,
  type RemoteGroupChanges,
  type RemoteGroupData,
  type RemoteUser,
  type RemoteUserData,
} from '../connector.ts';
import { accountLockSupport } from './account-lock.ts';
import { openSession, type LdapSession, type OpenOptions } from './connection.ts';
import { delta, hasEntryCsn, ListingStamps } from './delta.ts';
import { toConnectorError } from './errors.ts';
import type { LdapKind } from './mapping.ts';
import * as read from './read.ts';
import * as bulk from './bulk.ts';
import * as match from './match.ts';
import { resolveSettings, type LdapSettings } from './settings.ts';
import { verify } from './verify.ts';
import * as write from './write.ts';

export class LdapConnector implements Connector {
  readonly kind: LdapKind;
  readonly settings: LdapSettings;
  private readonly password: string | undefined;
  private session?: Promise<LdapSession>;
  /** Set by trackListing(): the listings collect each entry's entryCSN for listingToken(). */
  private listing?: ListingStamps;
  /**
   * Bulk user creation for the outbox worker (see bulk.ts); generic LDAP only — Active Directory
   * creates take several dependent steps each and keep the one-by-one path.
   */
  readonly createUsers?: Connector['createUsers'];

  constructor(config: DirectoryConfig, secrets: DirectorySecrets) {
    this.settings = resolveSettings(config);
    this.kind = this.settings.kind;
    this.password = secrets.bindPassword;
    if (!this.settings.isAd) this.createUsers = (batch) => this.op((s) => bulk.createUsers(s, this.settings, batch));
  }

  /** A fresh bound session (the caller closes it). */
  open(opts: OpenOptions = {}): Promise<LdapSession> {
    return openSession(this.settings, this.password, opts);
  }

  /** The shared session for single operations, reopened when the connection dropped. */
  private async shared(): Promise<LdapSession> {
    if (this.session) {
      try {
        const s = await this.session;
        if (s.client.isConnected) return s;
        await s.close();
      } catch {
        /* failed open: try again */
      }
    }
    this.session = this.open();
    return this.session;
  }

  private async op<T>(fn: (s: LdapSession) => Promise<T>): Promise<T> {
    const session = await this.shared();
    try {
      return await fn(session);
    } catch (e) {
      const err = toConnectorError(e, { url: session.url });
      if (err.code === 'unreachable' || err.code === 'timeout') this.session = undefined;
      throw err;
    }
  }

  verify(signal?: AbortSignal): Promise<VerifyResult> {
    return verify(this.settings, this.password, signal);
  }

  accountLockSupport(): Promise<AccountLockSupport> {
    return this.op((s) => accountLockSupport(s, this.settings));
  }

  /**
   * Generic LDAP with entryCSN: the listings from now on carry the next delta's token (delta.ts).
   * Active Directory keeps its cheap before-read token (highestCommittedUSN); a server without
   * entryCSN keeps the scan before the read (why: delta.ts).
   */
  async trackListing(opts: ListOptions = {}): Promise<boolean> {
    this.listing = undefined;
    if (this.settings.isAd) return false;
    if (opts.signal?.aborted) throw new ConnectorError('cancelled', 'The listing was cancelled.');
    if (!(await this.op((s) => hasEntryCsn(s, this.settings)))) return false;
    this.listing = new ListingStamps();
    return true;
  }

  listingToken(): DeltaToken | undefined {
    return this.listing?.token();
  }

  async *listUsers(opts: ListOptions = {}): AsyncIterable<Page<RemoteUser>> {
    const stamps = this.listing?.start('users');
    const session = await this.open({ signal: opts.signal });
    try {
      yield* read.listUsers(session, this.settings, opts.signal, stamps);
    } finally {
      await session.close();
    }
  }

  async *listGroups(opts: ListOptions = {}): AsyncIterable<Page<RemoteGroup>> {
    const stamps = this.listing?.start('groups');
    const session = await this.open({ signal: opts.signal });
    try {
      yield* read.listGroups(session, this.settings, opts.signal, stamps);
    } finally {
      await session.close();
    }
  }

  async delta(token: DeltaToken | undefined, opts: ListOptions = {}): Promise<DeltaResult> {
    const session = await this.open({ signal: opts.signal });
    try {
      return await delta(session, this.settings, token, opts.signal);
    } finally {
      await session.close();
    }
  }

  findUser(data: RemoteUserData): Promise<RemoteUser | undefined> {
    return this.op((s) => match.findUser(s, this.settings, data));
  }

  getUser(ref: string): Promise<RemoteUser | undefined> {
    return this.op((s) => read.getUser(s, this.settings, ref));
  }

  async createUser(data: RemoteUserData, opts: CreateUserOptions = {}): Promise<RemoteUser> {
    return this.op(async (s) => {
      const dn = await write.createUser(s, this.settings, data, opts);
      return this.mustRead(s, dn);
    });
  }

  async updateUser(ref: string, before: RemoteUserData, after: RemoteUserData): Promise<RemoteUser> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'user', 'change');
      const dn = await write.updateUser(s, this.settings, ref, before, after);
      return this.mustRead(s, dn);
    });
  }

  private async mustRead(s: LdapSession, dn: string): Promise<RemoteUser> {
    const u = await read.getUser(s, this.settings, dn);
    if (!u)
      throw new ConnectorError('not_found', `The user ${dn} was written but cannot be read back.`, { details: { dn } });
    return u;
  }

  setUserEnabled(ref: string, enabled: boolean): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'user', enabled ? 'enable' : 'disable');
      return write.setUserEnabled(s, this.settings, ref, enabled);
    });
  }

  deleteUser(ref: string): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'user', 'delete');
      return write.deleteEntry(s, ref, 'user');
    });
  }

  setPassword(ref: string, password: string, opts: { mustChange?: boolean } = {}): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'user', 'set a password on');
      return write.setPassword(s, this.settings, ref, password, opts);
    });
  }

  findGroup(data: RemoteGroupData): Promise<RemoteGroup | undefined> {
    return this.op((s) => match.findGroup(s, this.settings, data.displayName));
  }

  getGroup(ref: string): Promise<RemoteGroup | undefined> {
    return this.op((s) => read.getGroup(s, this.settings, ref));
  }

  createGroup(data: RemoteGroupData, initialMembers: string[] = []): Promise<RemoteGroup> {
    return this.op(async (s) => {
      const dn = await write.createGroup(s, this.settings, data, initialMembers);
      const g = await read.getGroup(s, this.settings, dn);
      if (!g)
        throw new ConnectorError('not_found', `The group ${dn} was written but cannot be read back.`, {
          details: { dn },
        });
      return g;
    });
  }

  updateGroup(ref: string, changes: RemoteGroupChanges): Promise<RemoteGroup> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'group', 'change');
      const dn = await write.updateGroup(s, this.settings, ref, changes);
      const g = await read.getGroup(s, this.settings, dn);
      if (!g)
        throw new ConnectorError('not_found', `The group ${dn} was written but cannot be read back.`, {
          details: { dn },
        });
      return g;
    });
  }

  deleteGroup(ref: string): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, ref, 'group', 'delete');
      return write.deleteEntry(s, ref, 'group');
    });
  }

  addMembers(groupRef: string, memberRefs: string[]): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, groupRef, 'group', 'add members to');
      return write.addMembers(s, this.settings, groupRef, memberRefs);
    });
  }

  removeMembers(groupRef: string, memberRefs: string[]): Promise<void> {
    return this.op(async (s) => {
      await match.assertMayWrite(s, this.settings, groupRef, 'group', 'remove members from');
      return write.removeMembers(s, this.settings, groupRef, memberRefs);
    });
  }

  async close(): Promise<void> {
    const p = this.session;
    this.session = undefined;
    if (p) await (await p.catch(() => undefined))?.close();
  }
}

export function createLdapConnector(config: DirectoryConfig, secrets: DirectorySecrets): Connector {
  return new LdapConnector(config, secrets);
}

export { ldapDefaults } from './defaults.ts';
export { toConnectorError } from './errors.ts';
