// The one interface every directory kind implements (docs/architecture.md).
// The sync engine speaks only this; it never sees LDAP or Graph.
import type { DirectoryConfig, MappingRow } from '../../src-preload/directory.ts';
import type { VerifyResult } from '../../src-preload/contract/directories.ts';
import type { UserInput } from '../../src-preload/model.ts';
import type { ConnectorErrorCode } from '../../src-preload/errors.ts';

/**
 * The user as a directory holds it, already mapped to the model's shape.
 * `manager` is the directory's reference (DN / object id) of the manager, not
 * a local id: the sync engine resolves it through links.
 */
export type RemoteUserData = Omit<UserInput, 'managerId'> & { managerRef?: string };

export interface RemoteUser {
  /** Immutable identity: objectGUID (canonical string), entryUUID, Graph id. */
  anchor: string;
  /** What writes address: the DN for LDAP (changes on rename), the id for Graph. */
  ref: string;
  data: RemoteUserData;
  /** Set when the directory must never be written through this object (why: adminCount=1…). */
  protected?: string;
}

export interface RemoteGroupData {
  displayName: string;
  description?: string;
}

/**
 * What changes on a group. A field left out stays as it is; description ''
 * clears it. The connector reads the current object itself, so a stale
 * "before" can never undo someone else's change to another field.
 */
export type RemoteGroupChanges = Partial<RemoteGroupData>;

export interface RemoteMemberRef {
  /** DN or object id as the directory lists it. */
  ref: string;
  /** When the connector knows it (Graph does; LDAP resolves by objectClass if it can). */
  type?: 'User' | 'Group';
}

export interface RemoteGroup {
  anchor: string;
  ref: string;
  data: RemoteGroupData;
  /** Set when the directory must never be written through this object (a built-in privileged group…). */
  protected?: string;
  /** Complete membership (ranged retrieval done), nested groups included. */
  members: RemoteMemberRef[];
}

/** A page of objects; listings yield pages so nothing holds a whole directory. */
export type Page<T> = T[];

export interface ListOptions {
  signal?: AbortSignal;
}

/** Opaque to the engine: the connector stores what it needs for the next delta. */
export type DeltaToken = string;

export interface DeltaChanges<T> {
  changed: T[];
  /** Anchors of objects deleted (or moved out of scope) since the token. */
  removed: string[];
}

export interface DeltaResult {
  /** False when the token was no longer usable (e.g. invocationId changed): do a full read. */
  usable: boolean;
  users: DeltaChanges<RemoteUser>;
  groups: DeltaChanges<RemoteGroup>;
  /** Save only after the run that used it succeeded. */
  nextToken: DeltaToken;
}

export interface CreateUserOptions {
  password?: string;
  mustChangePassword?: boolean;
}

/** Whether a directory can hold a disabled account, and the sentence that says so. */
export interface AccountLockSupport {
  /** undefined: could not be checked (the engine then queues as usual). */
  canHold: boolean | undefined;
  /** The attribute "disabled" is written to, when there is one. */
  attribute?: string;
  line: string;
}

/** A bulk create's answer for one user: `linked` when it existed before (matched by the directory's rules, not created). */
export type BulkCreated = RemoteUser & { linked?: true };

/** A mail sent through the directory itself (Graph sendMail). */
export interface DirectoryMail {
  to: string | string[];
  subject: string;
  /** HTML body; when both are given, HTML is sent (Graph carries one body). */
  html?: string;
  text?: string;
}

/**
 * The one shape of a directory kind. Methods marked "Optional ability" are left out by a kind that
 * cannot do it; the engine asks for the method itself (`c.delta ? … : …`), never for a flag or the
 * kind. How to add a kind: docs/architecture.md.
 */
export interface Connector {
  readonly kind: DirectoryConfig['kind'];

  verify(signal?: AbortSignal): Promise<VerifyResult>;

  listUsers(opts?: ListOptions): AsyncIterable<Page<RemoteUser>>;
  listGroups(opts?: ListOptions): AsyncIterable<Page<RemoteGroup>>;
  /**
   * Optional ability: changes since token (undefined = start tracking: returns a token for now).
   * Without it every import reads the whole directory.
   */
  delta?(token: DeltaToken | undefined, opts?: ListOptions): Promise<DeltaResult>;
  /**
   * Optional: the next delta's starting point taken from the full listing itself, instead of a
   * delta(undefined) before it (generic LDAP: each object's change stamp as the listing read it, so
   * an object changed after it was listed differs next time). Asked before a full read; true = this
   * instance's next listUsers/listGroups collect the token and delta(undefined) is not needed; false
   * = the connector cannot (Active Directory, a server without per-change stamps): use delta(undefined).
   */
  trackListing?(opts?: ListOptions): Promise<boolean>;
  /**
   * The token built by the listings since trackListing() resolved true: undefined unless every
   * listing started since then ran to its end (one cut, cancelled or failed yields none). Covers the
   * object types that were listed; a delta from it reports nothing for a type that was not. The
   * caller lists each type once per trackListing(): a second listing of a type starts its part of
   * the token over.
   */
  listingToken?(): DeltaToken | undefined;

  /**
   * Finds an existing user for an idempotent create: inside the directory's scope only, by its
   * matching rules (sync/matching.ts). Throws 'conflict' when more than one object matches and
   * 'protected' when the one that matches must never be written.
   */
  findUser(data: RemoteUserData): Promise<RemoteUser | undefined>;
  getUser(ref: string): Promise<RemoteUser | undefined>;
  createUser(data: RemoteUserData, opts?: CreateUserOptions): Promise<RemoteUser>;
  /**
   * Optional ability: many creates per round trip, for the outbox worker. One result per input, in
   * order: the user (created, or an existing match flagged `linked`, its password set when one was
   * given) or the ConnectorError of that one user. Without it users are created one by one.
   */
  createUsers?(
    batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
    signal?: AbortSignal,
  ): Promise<Array<BulkCreated | ConnectorError>>;
  /** Writes only what differs between before and after; renames when the RDN value changes. */
  updateUser(ref: string, before: RemoteUserData, after: RemoteUserData): Promise<RemoteUser>;
  setUserEnabled(ref: string, enabled: boolean): Promise<void>;
  deleteUser(ref: string): Promise<void>;
  setPassword(ref: string, password: string, opts?: { mustChange?: boolean }): Promise<void>;

  /** Like findUser, by the group's name: in scope, one candidate or a 'conflict', never a protected one. */
  findGroup(data: RemoteGroupData): Promise<RemoteGroup | undefined>;
  createGroup(data: RemoteGroupData, initialMembers?: string[]): Promise<RemoteGroup>;
  /**
   * Renames a group and/or rewrites its description. A new name moves the
   * object's naming (LDAP: modifyDN when the RDN value changes; AD: the
   * pre-Windows 2000 name follows when it was derived from the old name;
   * Graph: mailNickname likewise). Members are kept. Returns the group as it
   * now is: its ref changes on an LDAP rename.
   */
  updateGroup(ref: string, changes: RemoteGroupChanges): Promise<RemoteGroup>;
  deleteGroup(ref: string): Promise<void>;
  /** Adds members by ref; ones already there count as success. */
  addMembers(groupRef: string, memberRefs: string[]): Promise<void>;
  removeMembers(groupRef: string, memberRefs: string[]): Promise<void>;

  /**
   * Optional: whether this directory can hold a disabled account (generic LDAP: the attribute that
   * writes *active* must be in the server's schema). Absent = it always can (Active Directory, Graph).
   */
  accountLockSupport?(): Promise<AccountLockSupport>;

  /**
   * Optional ability: send a mail through the directory (onboarding's "send with the directory"),
   * from the given mailbox or the directory's own sender.
   */
  sendMail?(from: string | undefined, message: DirectoryMail, signal?: AbortSignal): Promise<void>;

  close(): Promise<void>;
}

/** Failure classes the engine acts on; `transient` ones are retried with backoff. */
export type { ConnectorErrorCode };

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  /** The server's own message, request ids, LDAP result codes. */
  readonly details?: unknown;
  readonly transient: boolean;
  /** For throttling: how long the server asked us to wait. */
  readonly retryAfterMs?: number;
  constructor(
    code: ConnectorErrorCode,
    message: string,
    opts: { details?: unknown; transient?: boolean; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ConnectorError';
    this.code = code;
    this.details = opts.details;
    this.transient = opts.transient ?? ['unreachable', 'timeout', 'throttled', 'busy'].includes(code);
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** What a new directory of one kind starts with: its mapping rows and prefilled connection fields. */
export interface KindDefaults {
  userMapping: MappingRow[];
  groupMapping: MappingRow[];
  /** Connection fields prefilled in the form. */
  connection: Record<string, unknown>;
}
