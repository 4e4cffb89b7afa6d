// Microsoft Entra ID connector over Microsoft Graph v1.0.
//
// GraphConnector implements the Connector interface with its optional
// abilities: delta (users/delta, groups/delta), createUsers (bulk create
// through $batch of 20, existing users looked up first by the matching rules)
// and sendMail (onboarding's mails, see mail.ts). Beyond it, stats() gives
// HTTP requests, retries, throttling and governor figures (bench, tests).
// The parts: clouds.ts (endpoints per national cloud), auth.ts (MSAL, CA,
// proxy, certificate), http.ts (typed fetch with retries and paging),
// batch.ts ($batch), governor.ts (write limit), mapping.ts, read.ts, write.ts,
// verify.ts, mail.ts.
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import type { VerifyResult } from '../../../src-preload/contract/directories.ts';
import type {
  BulkCreated,
  Connector,
  CreateUserOptions,
  DirectoryMail,
  DeltaResult,
  DeltaToken,
  ListOptions,
  Page,
  RemoteGroup,
  RemoteGroupChanges,
  RemoteGroupData,
  RemoteUser,
  RemoteUserData,
} from '../connector.ts';
import { ConnectorError } from '../connector.ts';
import { GraphAuth, buildDispatcher } from './auth.ts';
import type { BatchStats } from './batch.ts';
import { resolveCloud } from './clouds.ts';
import type { EntraConfig, GraphContext } from './context.ts';
import { WriteGovernor, documentedWriteLimit } from './governor.ts';
import { GraphHttp, type AttemptInfo, type HttpStats } from './http.ts';
import { sendMailWith } from './mail.ts';
import { createGroupMapper, createUserMapper } from './mapping.ts';
import * as read from './read.ts';
import type { RetryPolicy } from './retry.ts';
import { verifyGraph } from './verify.ts';
import * as write from './write.ts';

export { sendGraphMail, type GraphMailMessage } from './mail.ts';
export { graphDefaults } from './defaults.ts';

export interface GraphConnectorOptions {
  /** Writes per window the governor allows; default the documented 3,000 per 150 s. false switches it off. */
  writeLimit?: { limit: number; windowMs: number } | false;
  retry?: Partial<RetryPolicy>;
  /** $batch envelopes in flight at once (default 2). */
  concurrency?: number;
  /** Sees every HTTP attempt (tests, bench). */
  onAttempt?: (info: AttemptInfo) => void;
}

export interface GraphStats extends HttpStats {
  batch: BatchStats;
  governor?: { limit: number; windowMs: number; granted: number; waits: number; waitedMs: number };
}

/**
 * The Graph connector. Settings that cannot be used (an unknown cloud, a broken certificate or
 * proxy) do not stop construction: verify() reports them as its first step and every other call
 * throws them, so the directory form can always show why.
 */
export class GraphConnector implements Connector {
  readonly kind = 'entra' as const;
  private readonly ctx?: GraphContext;
  private readonly setupError?: unknown;

  constructor(config: DirectoryConfig, secrets: DirectorySecrets, options: GraphConnectorOptions = {}) {
    if (config.kind !== 'entra')
      throw new ConnectorError('invalid_value', 'This directory is not a Microsoft Entra ID directory.', {
        transient: false,
      });
    try {
      this.ctx = buildContext(config as EntraConfig, secrets, options);
    } catch (err) {
      this.setupError = err;
    }
  }

  private c(): GraphContext {
    if (this.ctx) return this.ctx;
    throw this.setupError instanceof Error ? this.setupError : unusable();
  }

  async verify(signal?: AbortSignal): Promise<VerifyResult> {
    if (this.ctx) return verifyGraph(this.ctx, signal);
    const e = this.setupError instanceof ConnectorError ? this.setupError : unusable();
    return {
      ok: false,
      error: { code: e.code, message: e.message, details: e.details },
      steps: [{ name: 'Settings', ok: false, detail: e.message }],
      facts: {},
      warnings: [],
    };
  }

  listUsers(opts?: ListOptions): AsyncIterable<Page<RemoteUser>> {
    return read.listUsers(this.c(), opts);
  }
  listGroups(opts?: ListOptions): AsyncIterable<Page<RemoteGroup>> {
    return read.listGroups(this.c(), opts);
  }
  delta(token: DeltaToken | undefined, opts?: ListOptions): Promise<DeltaResult> {
    return read.delta(this.c(), token, opts);
  }
  findUser(data: RemoteUserData): Promise<RemoteUser | undefined> {
    return read.findUser(this.c(), data);
  }
  getUser(ref: string): Promise<RemoteUser | undefined> {
    return read.getUser(this.c(), ref);
  }
  createUser(data: RemoteUserData, opts?: CreateUserOptions): Promise<RemoteUser> {
    return write.createUser(this.c(), data, opts);
  }
  createUsers(
    batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
    signal?: AbortSignal,
  ): Promise<Array<BulkCreated | ConnectorError>> {
    return write.createUsers(this.c(), batch, signal);
  }
  updateUser(ref: string, before: RemoteUserData, after: RemoteUserData): Promise<RemoteUser> {
    return write.updateUser(this.c(), ref, before, after);
  }
  setUserEnabled(ref: string, enabled: boolean): Promise<void> {
    return write.setUserEnabled(this.c(), ref, enabled);
  }
  deleteUser(ref: string): Promise<void> {
    return write.deleteUser(this.c(), ref);
  }
  setPassword(ref: string, password: string, opts?: { mustChange?: boolean }): Promise<void> {
    return write.setPassword(this.c(), ref, password, opts?.mustChange ?? false);
  }
  findGroup(data: RemoteGroupData): Promise<RemoteGroup | undefined> {
    return read.findGroup(this.c(), data.displayName);
  }
  createGroup(data: RemoteGroupData, initialMembers?: string[]): Promise<RemoteGroup> {
    return write.createGroup(this.c(), data, initialMembers);
  }
  updateGroup(ref: string, changes: RemoteGroupChanges): Promise<RemoteGroup> {
    return write.updateGroup(this.c(), ref, changes);
  }
  deleteGroup(ref: string): Promise<void> {
    return write.deleteGroup(this.c(), ref);
  }
  addMembers(groupRef: string, memberRefs: string[]): Promise<void> {
    return write.addMembers(this.c(), groupRef, memberRefs);
  }
  removeMembers(groupRef: string, memberRefs: string[]): Promise<void> {
    return write.removeMembers(this.c(), groupRef, memberRefs);
  }
  sendMail(from: string | undefined, message: DirectoryMail, signal?: AbortSignal): Promise<void> {
    return sendMailWith(this.c(), from, message, signal);
  }

  stats(): GraphStats {
    const x = this.c();
    const g = x.http.governor;
    return {
      ...x.http.stats,
      batch: { ...x.batchStats },
      ...(g ? { governor: { limit: g.limit, windowMs: g.windowMs, ...g.stats } } : {}),
    };
  }

  async close(): Promise<void> {
    // Dispatchers and MSAL applications are shared per directory (auth.ts) and outlive one connector.
  }
}

function unusable(): ConnectorError {
  return new ConnectorError('invalid_value', 'The directory settings are not usable.', { transient: false });
}

function buildContext(config: EntraConfig, secrets: DirectorySecrets, options: GraphConnectorOptions): GraphContext {
  const conn = config.connection;
  const cloud = resolveCloud(conn);
  const network = buildDispatcher(conn);
  const auth = new GraphAuth({ conn, secrets, cloud, network, timeoutMs: conn.timeoutMs });
  const governor =
    options.writeLimit === false ? undefined : new WriteGovernor(options.writeLimit ?? documentedWriteLimit);
  const http = new GraphHttp({
    graphBase: cloud.graphBase,
    tokens: auth,
    dispatcher: network.dispatcher,
    timeoutMs: conn.timeoutMs,
    governor,
    retry: options.retry,
    proxy: network.proxy,
    onAttempt: options.onAttempt,
  });
  return {
    config,
    conn,
    cloud,
    auth,
    http,
    users: createUserMapper(config.userMapping, conn.upnDomain),
    groups: createGroupMapper(config.groupMapping),
    batchStats: { envelopes: 0, subRequests: 0, subRetries: 0 },
    concurrency: Math.max(1, options.concurrency ?? 2),
  };
}

export function createGraphConnector(
  config: DirectoryConfig,
  secrets: DirectorySecrets,
  options: GraphConnectorOptions = {},
): GraphConnector {
  return new GraphConnector(config, secrets, options);
}
