// Microsoft Entra ID connector over Microsoft Graph v1.0.
//
// createGraphConnector(config, secrets, options?) returns a GraphConnector:
// the common Connector interface plus, beyond it,
//   - createUsers(batch)  bulk create through $batch of 20 (for the sync engine):
//       existing users looked up first by the matching rules (also $batch);
//       results in input order, each the RemoteUser (created; or existing,
//       flagged `linked`: link it) or the ConnectorError of that one user;
//   - sendMail(from, message)  Graph sendMail for onboarding (see mail.ts;
//       sendGraphMail(config, secrets, message) does it in one call);
//   - stats()  HTTP requests, retries, throttling and governor figures (bench).
// The parts: clouds.ts (endpoints per national cloud), auth.ts (MSAL, CA,
// proxy, certificate), http.ts (typed fetch with retries and paging),
// batch.ts ($batch), governor.ts (write limit), mapping.ts, read.ts, write.ts,
// verify.ts, mail.ts.
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import type { VerifyResult } from '../../../src-preload/contract/directories.ts';
import type {
  Capabilities,
  Connector,
  CreateUserOptions,
  DeltaResult,
  DeltaToken,
  ListOptions,
  Page,
  RemoteGroup,
  RemoteGroupData,
  RemoteUser,
  RemoteUserData,
} from '../connector.ts';
import { ConnectorError, type KindDefaults } from '../connector.ts';
import { GraphAuth, buildDispatcher } from './auth.ts';
import type { BatchStats } from './batch.ts';
import { resolveCloud } from './clouds.ts';
import type { EntraConfig, GraphContext } from './context.ts';
import { WriteGovernor, documentedWriteLimit } from './governor.ts';
import { GraphHttp, type AttemptInfo, type HttpStats } from './http.ts';
import { sendMailWith, type GraphMailMessage } from './mail.ts';
import { createGroupMapper, createUserMapper, defaultGroupMapping, defaultUserMapping } from './mapping.ts';
import * as read from './read.ts';
import type { RetryPolicy } from './retry.ts';
import { verifyGraph } from './verify.ts';
import * as write from './write.ts';

export { sendGraphMail, type GraphMailMessage } from './mail.ts';

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

export interface GraphConnector extends Connector {
  createUsers(
    batch: ReadonlyArray<{ data: RemoteUserData; opts?: CreateUserOptions }>,
    signal?: AbortSignal,
  ): Promise<Array<write.BulkCreated | ConnectorError>>;
  sendMail(from: string | undefined, message: GraphMailMessage, signal?: AbortSignal): Promise<void>;
  stats(): GraphStats;
}

export function graphDefaults(): KindDefaults {
  return {
    userMapping: defaultUserMapping(),
    groupMapping: defaultGroupMapping(),
    connection: { credential: 'secret', cloud: 'global', upnDomain: '', pageSize: 999, timeoutMs: 30_000 },
  };
}

const capabilities: Capabilities = {
  delta: true,
  passwords: true,
  nestedGroups: true,
  sendMail: true,
  memberBatch: 20,
};

export function createGraphConnector(
  config: DirectoryConfig,
  secrets: DirectorySecrets,
  options: GraphConnectorOptions = {},
): GraphConnector {
  if (config.kind !== 'entra')
    throw new ConnectorError('invalid_value', 'This directory is not a Microsoft Entra ID directory.', {
      transient: false,
    });
  const conn = config.connection;
  let ctx: GraphContext | undefined;
  let setupError: unknown;
  try {
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
    ctx = {
      config: config as EntraConfig,
      conn,
      cloud,
      auth,
      http,
      users: createUserMapper(config.userMapping, conn.upnDomain),
      groups: createGroupMapper(config.groupMapping),
      batchStats: { envelopes: 0, subRequests: 0, subRetries: 0 },
      concurrency: Math.max(1, options.concurrency ?? 2),
    };
  } catch (err) {
    setupError = err;
  }
  const c = (): GraphContext => {
    if (!ctx)
      throw setupError instanceof Error
        ? setupError
        : new ConnectorError('invalid_value', 'The directory settings are not usable.', { transient: false });
    return ctx;
  };

  return {
    kind: 'entra',
    capabilities,
    async verify(signal?: AbortSignal): Promise<VerifyResult> {
      if (!ctx) {
        const e =
          setupError instanceof ConnectorError
            ? setupError
            : new ConnectorError('invalid_value', 'The directory settings are not usable.');
        return {
          ok: false,
          error: { code: e.code, message: e.message, details: e.details },
          steps: [{ name: 'Settings', ok: false, detail: e.message }],
          facts: {},
          warnings: [],
        };
      }
      return verifyGraph(ctx, signal);
    },
    listUsers(opts?: ListOptions): AsyncIterable<Page<RemoteUser>> {
      return read.listUsers(c(), opts);
    },
    listGroups(opts?: ListOptions): AsyncIterable<Page<RemoteGroup>> {
      return read.listGroups(c(), opts);
    },
    delta(token: DeltaToken | undefined, opts?: ListOptions): Promise<DeltaResult> {
      return read.delta(c(), token, opts);
    },
    findUser: (data) => read.findUser(c(), data),
    getUser: (ref) => read.getUser(c(), ref),
    createUser: (data, opts) => write.createUser(c(), data, opts),
    updateUser: (ref, before, after) => write.updateUser(c(), ref, before, after),
    setUserEnabled: (ref, enabled) => write.setUserEnabled(c(), ref, enabled),
    deleteUser: (ref) => write.deleteUser(c(), ref),
    setPassword: (ref, password, opts) => write.setPassword(c(), ref, password, opts?.mustChange ?? false),
    findGroup: (data: RemoteGroupData) => read.findGroup(c(), data.displayName),
    createGroup: (data, initialMembers) => write.createGroup(c(), data, initialMembers),
    updateGroup: (ref, changes) => write.updateGroup(c(), ref, changes),
    deleteGroup: (ref) => write.deleteGroup(c(), ref),
    addMembers: (groupRef, memberRefs) => write.addMembers(c(), groupRef, memberRefs),
    removeMembers: (groupRef, memberRefs) => write.removeMembers(c(), groupRef, memberRefs),
    createUsers: (batch, signal) => write.createUsers(c(), batch, signal),
    sendMail: (from, message, signal) => sendMailWith(c(), from, message, signal),
    stats(): GraphStats {
      const x = c();
      const g = x.http.governor;
      return {
        ...x.http.stats,
        batch: { ...x.batchStats },
        ...(g ? { governor: { limit: g.limit, windowMs: g.windowMs, ...g.stats } } : {}),
      };
    },
    async close(): Promise<void> {
      // Dispatchers and MSAL applications are shared per directory (auth.ts) and outlive one connector.
    },
  };
}
