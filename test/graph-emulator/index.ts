// Microsoft Graph v1.0 + Entra ID token endpoint emulator for offline tests.
// HTTPS on 127.0.0.1 (random port, self-signed certificate), see README.md.
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { Aad } from './aad.ts';
import type { AppRegistration } from './aad.ts';
import { makeServerCertificate } from './cert.ts';
import { Directory } from './directory.ts';
import { GraphError } from './errors.ts';
import { GraphApi } from './graph-api.ts';
import type { ApiResponse, Principal, SentMail } from './graph-api.ts';
import type { GraphGroup, GraphUser } from './model.ts';

export type { GraphGroup, GraphUser } from './model.ts';
export type { AppRegistration } from './aad.ts';
export type { SentMail } from './graph-api.ts';

export interface GraphEmulatorOptions {
  /** directory writes allowed per app in a sliding window; default 3000 per 150000 ms (the published identity limit) */
  writeLimit?: { count: number; windowMs: number };
  /** default verified domain; default 'contoso.test' */
  tenantDomain?: string;
  /** more verified domains (UPNs may use any verified domain) */
  extraVerifiedDomains?: string[];
  /** fixed tenant GUID; default random */
  tenantId?: string;
  /** PRNG seed for fault injection and $batch response order; default 1 */
  seed?: number;
  /** access token lifetime; default 3599 s */
  tokenLifetimeSeconds?: number;
  orgDisplayName?: string;
}

export interface Faults {
  /** fraction (0..1) of directory writes answered 429 with Retry-After = retryAfterSeconds */
  rate429: number;
  /** fraction of Graph requests (reads and writes) answered 503 with Retry-After = retryAfterSeconds */
  rate503: number;
  /** delay before every answer (Graph and token endpoint), ms */
  slowMs: number;
  /** fraction of top-level Graph requests whose connection is destroyed before anything is done */
  dropConnectionRate: number;
  /** fraction of top-level Graph writes (or $batch envelopes with a successful write) carried out, then the connection destroyed (answer lost) */
  dropAfterWriteRate: number;
  /** Retry-After of injected 429/503, seconds; default 1 */
  retryAfterSeconds: number;
  /** limit the random faults to some requests */
  match?: (r: { method: string; path: string; subRequest: boolean }) => boolean;
}

/** A scripted fault for the next matching request(s): deterministic, unlike the rates. */
export interface ForcedFault {
  status?: number;
  /** seconds; for 429/503 default faults.retryAfterSeconds */
  retryAfter?: number;
  /** destroy the connection instead (top-level requests only) */
  drop?: boolean;
  method?: string;
  /** matched against the path below /v1.0 (e.g. /users): string = prefix, RegExp = test */
  path?: string | RegExp;
  /** how many requests to hit; default 1 */
  times?: number;
  code?: string;
  message?: string;
}

export interface LogEntry {
  /** Date.now() when the request (or the batch carrying the sub-request) arrived */
  time: number;
  method: string;
  /** URL path without the query, e.g. /v1.0/users, /v1.0/$batch, /{tenant}/oauth2/v2.0/token */
  path: string;
  query?: string;
  /** 0 when the connection was dropped */
  status: number;
  /** request-id of the $batch envelope, on the envelope and on each of its sub-requests */
  batchId?: string;
  subRequest?: boolean;
  /** the sub-request's id inside its batch */
  subRequestId?: string;
  retryAfter?: number;
  clientRequestId?: string;
  requestId: string;
  appId?: string;
  /** operation identity to correlate retries: the UPN for POST /users, group:{mailNickname} for POST /groups,
   * {groupId}:member:{memberId} for POST …/members/$ref, else the decoded path below /v1.0 in lower case */
  key?: string;
  /** counted by the write limiter (POST/PATCH/PUT/DELETE other than sendMail) */
  write?: boolean;
  fault?: 'limit' | 'rate429' | 'rate503' | 'drop' | 'dropAfterWrite' | 'forced';
  kind: 'graph' | 'token' | 'metadata';
}

export interface PasswordChange {
  userId: string;
  forceChangePasswordNextSignIn: boolean;
  at: number;
  /** 'create' for the initial password of POST /users, 'update' for a PATCH passwordProfile */
  source: 'create' | 'update';
}

export interface SeedGroup extends Partial<GraphGroup> {
  /** ids (or UPNs) of direct members: users or groups */
  members?: string[];
}

export interface SeedUser extends Partial<GraphUser> {
  /** id or UPN of an already seeded manager */
  managerId?: string;
}

export interface GraphEmulator {
  baseUrl: string;
  authorityHost: string;
  tenantId: string;
  tenantDomain: string;
  authority: string;
  tokenEndpoint: string;
  /** JSON of the openid-configuration, for MSAL's authorityMetadata */
  authorityMetadata: string;
  caCertPem: string;
  caCertPath: string;
  addApp(app: AppRegistration): void;
  seedUsers(users: SeedUser[]): GraphUser[];
  seedGroups(groups: SeedGroup[]): GraphGroup[];
  users(): GraphUser[];
  groups(): GraphGroup[];
  /** direct member ids of a group */
  members(groupId: string): string[];
  managerOf(userIdOrUpn: string): string | null;
  deletedUsers(): GraphUser[];
  deletedGroups(): GraphGroup[];
  faults: Faults;
  /** queue a deterministic fault for the next matching request(s) */
  failNext(fault: ForcedFault): void;
  log: LogEntry[];
  sentMail: SentMail[];
  passwordChanges: PasswordChange[];
  /** an access token for a registered app, minted without the token endpoint */
  issueToken(clientId: string): string;
  /** every access token issued so far becomes invalid (401 "Lifetime validation failed, the token is expired.") */
  invalidateTokens(): void;
  /** every delta/skip token of a delta query issued so far becomes invalid (400 syncStateNotFound) */
  expireDeltaTokens(): void;
  /** fetch that trusts the emulator's certificate (undici Agent with `connect.ca`) */
  fetch: typeof undiciFetch;
  /** the undici Agent used by `fetch`, for clients that take a dispatcher */
  dispatcher: Agent;
  stop(): Promise<void>;
}

/** Copies handed to tests: own arrays and objects, so tests cannot change the emulator's state. */
function copyObject<T extends object>(data: T): T {
  const out = { ...data } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (Array.isArray(v)) out[k] = [...v];
    else if (v !== null && typeof v === 'object') out[k] = { ...v };
  }
  return out as T;
}

/** mulberry32: small, seedable, good enough for fault injection. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const MAX_BODY = 8 * 1024 * 1024;
const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function lowerHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h || typeof h !== 'object') return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

class WriteLimiter {
  private readonly count: number;
  private readonly windowMs: number;
  private readonly perApp = new Map<string, number[]>();
  constructor(count: number, windowMs: number) {
    this.count = count;
    this.windowMs = windowMs;
  }
  /** undefined = admitted (and counted); otherwise the Retry-After in seconds */
  take(appId: string, now: number): number | undefined {
    let q = this.perApp.get(appId);
    if (!q) this.perApp.set(appId, (q = []));
    let drop = 0;
    while (drop < q.length && (q[drop] ?? Infinity) <= now - this.windowMs) drop++;
    if (drop > 0) q.splice(0, drop);
    if (q.length >= this.count) {
      return Math.max(1, Math.ceil(((q[0] ?? now) + this.windowMs - now) / 1000));
    }
    q.push(now);
    return undefined;
  }
}

interface Ctx {
  time: number;
  method: string;
  apiPath: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  bodyError?: boolean;
  principal: Principal;
  entry: LogEntry;
  subRequest: boolean;
}

export async function startGraphEmulator(opts: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const tls = await makeServerCertificate();
  const tenantDomain = (opts.tenantDomain ?? 'contoso.test').toLowerCase();
  const tenantId = (opts.tenantId ?? randomUUID()).toLowerCase();
  const initialDomain = `${(tenantDomain.split('.')[0] ?? 'contoso').replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`;
  const verifiedDomains = [
    tenantDomain,
    ...(opts.extraVerifiedDomains ?? []).map((d) => d.toLowerCase()),
    initialDomain,
  ];
  const limit = opts.writeLimit ?? { count: 3000, windowMs: 150_000 };
  const limiter = new WriteLimiter(limit.count, limit.windowMs);
  const rand = prng(opts.seed ?? 1);
  let baseUrl = '';
  let deltaEpoch = 0;

  const log: LogEntry[] = [];
  const sentMail: SentMail[] = [];
  const passwordChanges: PasswordChange[] = [];
  const forced: Array<ForcedFault & { left: number }> = [];
  const faults: Faults = {
    rate429: 0,
    rate503: 0,
    slowMs: 0,
    dropConnectionRate: 0,
    dropAfterWriteRate: 0,
    retryAfterSeconds: 1,
  };

  const dir = new Directory(verifiedDomains);
  dir.onPassword = (e) => passwordChanges.push({ ...e, at: Date.now() });
  const aad = new Aad({
    tenantId,
    tenantDomains: verifiedDomains,
    baseUrl: () => baseUrl,
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3599,
  });
  const api = new GraphApi({
    dir,
    baseUrl: () => baseUrl,
    tenantId,
    orgDisplayName: opts.orgDisplayName ?? 'Contoso (emulated)',
    sentMail,
    deltaEpoch: () => deltaEpoch,
  });

  const isWrite = (method: string, apiPath: string) =>
    WRITE_METHODS.has(method) && !/\/(microsoft\.graph\.)?sendMail$/i.test(apiPath);

  const takeForced = (method: string, apiPath: string): ForcedFault | undefined => {
    const i = forced.findIndex(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (!f.path || (typeof f.path === 'string' ? apiPath.startsWith(f.path) : f.path.test(apiPath))) &&
        !f.drop,
    );
    if (i < 0) return undefined;
    const f = forced[i];
    if (f && --f.left <= 0) forced.splice(i, 1);
    return f;
  };

  const faultApplies = (method: string, apiPath: string, subRequest: boolean) =>
    !faults.match || faults.match({ method, path: apiPath, subRequest });

  const opKey = (method: string, apiPath: string, body: unknown): string => {
    let decoded = apiPath;
    try {
      decoded = decodeURIComponent(apiPath);
    } catch {
      /* keep raw */
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (method === 'POST' && /^\/users\/?$/.test(apiPath) && typeof b.userPrincipalName === 'string')
      return b.userPrincipalName.toLowerCase();
    if (method === 'POST' && /^\/groups\/?$/.test(apiPath) && typeof b.mailNickname === 'string')
      return `group:${b.mailNickname.toLowerCase()}`;
    const m = /^\/groups\/([^/]+)\/members\/\$ref$/.exec(decoded);
    if (method === 'POST' && m && typeof b['@odata.id'] === 'string') {
      const id = /([^/]+)$/.exec(b['@odata.id'])?.[1] ?? '';
      return `${(m[1] ?? '').toLowerCase()}:member:${id.toLowerCase()}`;
    }
    return decoded.toLowerCase();
  };

  const errorResponse = (err: GraphError, ctx: { requestId: string; clientRequestId?: string }): ApiResponse => ({
    status: err.status,
    headers: { ...err.headers },
    body: {
      error: {
        code: err.code,
        message: err.message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d{3}Z$/, ''),
          'request-id': ctx.requestId,
          'client-request-id': ctx.clientRequestId ?? ctx.requestId,
        },
      },
    },
  });

  /** One Graph operation (top-level or $batch sub-request) after authentication. */
  const processOne = (c: Ctx): ApiResponse => {
    const { entry } = c;
    entry.appId = c.principal.appId;
    entry.write = isWrite(c.method, c.apiPath);
    entry.key = opKey(c.method, c.apiPath, c.body);
    const idCtx = { requestId: entry.requestId, clientRequestId: entry.clientRequestId };
    let res: ApiResponse;
    try {
      const f = takeForced(c.method, c.apiPath);
      if (f) {
        const status = f.status ?? 429;
        const ra = status === 429 || status === 503 ? (f.retryAfter ?? faults.retryAfterSeconds) : f.retryAfter;
        entry.fault = 'forced';
        throw new GraphError(
          status,
          f.code ?? (status === 429 ? 'TooManyRequests' : status === 503 ? 'serviceNotAvailable' : 'generalException'),
          f.message ??
            (status === 429
              ? 'Too many requests.'
              : status === 503
                ? 'The service is temporarily unavailable.'
                : 'Injected failure.'),
          ra !== undefined ? { 'retry-after': String(ra) } : {},
        );
      }
      const applies = faultApplies(c.method, c.apiPath, c.subRequest);
      if (applies && faults.rate503 > 0 && rand() < faults.rate503) {
        entry.fault = 'rate503';
        throw new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry.', {
          'retry-after': String(faults.retryAfterSeconds),
        });
      }
      if (entry.write) {
        if (applies && faults.rate429 > 0 && rand() < faults.rate429) {
          entry.fault = 'rate429';
          throw new GraphError(429, 'TooManyRequests', 'Too many requests.', {
            'retry-after': String(faults.retryAfterSeconds),
          });
        }
        const wait = limiter.take(c.principal.appId, Date.now());
        if (wait !== undefined) {
          entry.fault = 'limit';
          throw new GraphError(
            429,
            'TooManyRequests',
            `Too many requests: the application exceeded ${limit.count} writes per ${Math.round(limit.windowMs / 1000)} seconds. Please retry after ${wait} seconds.`,
            { 'retry-after': String(wait) },
          );
        }
      }
      if (c.bodyError) {
        throw new GraphError(
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        );
      }
      res = api.handle({
        method: c.method,
        path: c.apiPath,
        query: c.query,
        headers: c.headers,
        body: c.body,
        principal: c.principal,
      });
    } catch (err) {
      if (err instanceof GraphError) {
        res = errorResponse(err, idCtx);
      } else {
        res = errorResponse(
          new GraphError(500, 'generalException', `Emulator failure: ${(err as Error).message}`),
          idCtx,
        );
      }
    }
    entry.status = res.status;
    const ra = res.headers['retry-after'];
    if (ra !== undefined) entry.retryAfter = Number(ra);
    return res;
  };

  const authenticate = (headers: Record<string, string>, entry: LogEntry): Principal | ApiResponse => {
    const p = aad.authenticate(headers['authorization']);
    if ('error' in p) {
      const res = errorResponse(new GraphError(401, 'InvalidAuthenticationToken', p.error), {
        requestId: entry.requestId,
        clientRequestId: entry.clientRequestId,
      });
      res.headers['www-authenticate'] =
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
      entry.status = 401;
      return res;
    }
    entry.appId = p.appId;
    return p;
  };

  const batchError = (message: string, entry: LogEntry): ApiResponse => {
    entry.status = 400;
    return errorResponse(new GraphError(400, 'BadRequest', message), {
      requestId: entry.requestId,
      clientRequestId: entry.clientRequestId,
    });
  };

  const SUB_HEADER_NAMES: Record<string, string> = {
    'retry-after': 'Retry-After',
    'content-type': 'Content-Type',
    location: 'Location',
  };

  const runBatch = (
    body: unknown,
    principal: Principal,
    envelope: LogEntry,
    envHeaders: Record<string, string>,
  ): ApiResponse => {
    envelope.batchId = envelope.requestId;
    const reqs = (body as { requests?: unknown } | undefined)?.requests;
    if (typeof body !== 'object' || body === null || !Array.isArray(reqs) || reqs.length === 0) {
      return batchError('Invalid batch payload format.', envelope);
    }
    if (reqs.length > 20)
      return batchError(`The number of requests in the batch (${reqs.length}) exceeds the limit of 20.`, envelope);
    const ids = new Set<string>();
    for (const r of reqs as Array<Record<string, unknown>>) {
      if (
        typeof r !== 'object' ||
        r === null ||
        typeof r.id !== 'string' ||
        r.id === '' ||
        typeof r.method !== 'string' ||
        typeof r.url !== 'string'
      ) {
        return batchError('Invalid batch payload format.', envelope);
      }
      if (ids.has(r.id)) return batchError(`Batch request contains duplicate id '${r.id}'.`, envelope);
      ids.add(r.id);
      const method = r.method.toUpperCase();
      const h = lowerHeaders(r.headers as Record<string, unknown> | undefined);
      if (
        (method === 'POST' || method === 'PATCH' || method === 'PUT') &&
        (r.body === undefined || !h['content-type'])
      ) {
        return batchError(`Write request id : ${r.id} does not contain Content-Type header or body.`, envelope);
      }
      if (r.body !== undefined && !h['content-type']) {
        return batchError(`Write request id : ${r.id} does not contain Content-Type header or body.`, envelope);
      }
    }
    for (const r of reqs as Array<Record<string, unknown>>) {
      const deps = r.dependsOn;
      if (deps === undefined) continue;
      if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || !ids.has(d) || d === r.id)) {
        return batchError(
          `Request id ${String(r.id)} has an invalid dependsOn: it must list ids of other requests in the batch.`,
          envelope,
        );
      }
    }
    // topological order (stable), refusing cycles
    const byId = new Map((reqs as Array<Record<string, unknown>>).map((r) => [r.id as string, r]));
    const order: Array<Record<string, unknown>> = [];
    const state = new Map<string, 1 | 2>();
    const visit = (id: string): boolean => {
      if (state.get(id) === 2) return true;
      if (state.get(id) === 1) return false;
      state.set(id, 1);
      for (const d of (byId.get(id)!.dependsOn as string[] | undefined) ?? []) if (!visit(d)) return false;
      state.set(id, 2);
      order.push(byId.get(id)!);
      return true;
    };
    for (const id of byId.keys())
      if (!visit(id)) return batchError('The dependsOn of the batch requests form a cycle.', envelope);

    const statuses = new Map<string, number>();
    const responses: Array<Record<string, unknown>> = [];
    for (const r of order) {
      const id = r.id as string;
      const method = (r.method as string).toUpperCase();
      const url = r.url as string;
      const h = lowerHeaders(r.headers as Record<string, unknown> | undefined);
      const rel = url.replace(/^\/+/, '');
      const qi = rel.indexOf('?');
      const apiPath = '/' + (qi >= 0 ? rel.slice(0, qi) : rel);
      const queryStr = qi >= 0 ? rel.slice(qi + 1) : '';
      const entry: LogEntry = {
        time: envelope.time,
        method,
        path: `/v1.0${apiPath}`,
        query: queryStr || undefined,
        status: 0,
        batchId: envelope.requestId,
        subRequest: true,
        subRequestId: id,
        clientRequestId: h['client-request-id'] ?? envHeaders['client-request-id'],
        requestId: randomUUID(),
        appId: principal.appId,
        kind: 'graph',
      };
      log.push(entry);
      let res: ApiResponse;
      const failedDep = ((r.dependsOn as string[] | undefined) ?? []).some((d) => (statuses.get(d) ?? 0) >= 400);
      if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
        res = errorResponse(
          new GraphError(
            400,
            'BadRequest',
            `Invalid request URL '${url}': the url of a batch request must be relative, e.g. /users.`,
          ),
          entry,
        );
        entry.status = 400;
      } else if (failedDep) {
        res = errorResponse(
          new GraphError(424, 'FailedDependency', 'The request was not run because a request it depends on failed.'),
          entry,
        );
        entry.status = 424;
      } else {
        res = processOne({
          time: envelope.time,
          method,
          apiPath,
          query: new URLSearchParams(queryStr),
          headers: h,
          body: r.body,
          principal,
          entry,
          subRequest: true,
        });
      }
      statuses.set(id, res.status);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) headers[SUB_HEADER_NAMES[k] ?? k] = v;
      const out: Record<string, unknown> = { id, status: res.status, headers };
      if (res.text !== undefined) {
        headers['Content-Type'] = 'text/plain';
        out.body = res.text;
      } else if (res.body !== undefined) {
        headers['Content-Type'] = JSON_TYPE;
        out.body = res.body;
      }
      responses.push(out);
    }
    // Graph answers in any order: shuffle (Fisher-Yates on the seeded PRNG)
    for (let i = responses.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = responses[i]!;
      responses[i] = responses[j]!;
      responses[j] = tmp;
    }
    envelope.status = 200;
    return { status: 200, headers: {}, body: { responses } };
  };

  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body: unknown, text?: string) => {
    if (res.destroyed) return;
    const payload = text !== undefined ? text : body === undefined ? '' : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (payload !== '' && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
      h['content-type'] = JSON_TYPE;
    h['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(status, h);
    res.end(payload);
  };

  const onGraph = async (
    req: IncomingMessage,
    res: ServerResponse,
    time: number,
    pathname: string,
    queryStr: string,
    raw: Buffer,
  ) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = lowerHeaders(req.headers as Record<string, unknown>);
    const entry: LogEntry = {
      time,
      method,
      path: pathname,
      query: queryStr || undefined,
      status: 0,
      requestId: randomUUID(),
      clientRequestId: headers['client-request-id'],
      kind: 'graph',
    };
    log.push(entry);
    const apiPath = pathname.slice('/v1.0'.length) || '/';
    const isBatch = apiPath === '/$batch';
    const f = takeForcedDrop(method, apiPath);
    if (
      f ||
      (faults.dropConnectionRate > 0 && faultApplies(method, apiPath, false) && rand() < faults.dropConnectionRate)
    ) {
      entry.fault = 'drop';
      await sleep(faults.slowMs);
      req.socket.destroy();
      return;
    }
    let body: unknown;
    let bodyError = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        bodyError = true;
      }
    }
    let out: ApiResponse;
    const p = authenticate(headers, entry);
    if ('status' in p) {
      out = p;
    } else if (isBatch) {
      if (method !== 'POST') {
        entry.status = 405;
        out = errorResponse(
          new GraphError(405, 'BadRequest', 'Specified HTTP method is not allowed for the request target.'),
          entry,
        );
      } else if (bodyError) {
        out = batchError('Invalid batch payload format.', entry);
      } else {
        out = runBatch(body, p, entry, headers);
        // the batch ran synchronously, so its sub-request entries are the last ones in the log
        let wrote = false;
        for (let i = log.length - 1; i >= 0 && !wrote; i--) {
          const x = log[i];
          if (!x || x.batchId !== entry.requestId) break;
          wrote = x.subRequest === true && x.write === true && x.status < 400;
        }
        if (
          wrote &&
          faults.dropAfterWriteRate > 0 &&
          faultApplies(method, apiPath, false) &&
          rand() < faults.dropAfterWriteRate
        ) {
          entry.fault = 'dropAfterWrite';
          await sleep(faults.slowMs);
          req.socket.destroy();
          return;
        }
      }
    } else {
      out = processOne({
        time,
        method,
        apiPath,
        query: new URLSearchParams(queryStr),
        headers,
        body,
        bodyError,
        principal: p,
        entry,
        subRequest: false,
      });
      if (
        entry.write &&
        out.status < 400 &&
        faults.dropAfterWriteRate > 0 &&
        faultApplies(method, apiPath, false) &&
        rand() < faults.dropAfterWriteRate
      ) {
        entry.fault = 'dropAfterWrite';
        await sleep(faults.slowMs);
        req.socket.destroy();
        return;
      }
    }
    await sleep(faults.slowMs);
    const h: Record<string, string> = {
      ...out.headers,
      'request-id': entry.requestId,
      'client-request-id': entry.clientRequestId ?? entry.requestId,
    };
    if (out.headers['retry-after']) h['retry-after'] = out.headers['retry-after'];
    if (out.status !== 204 && out.status !== 202 && out.body === undefined && out.text === undefined) out.body = {};
    send(res, out.status, h, out.body, out.text);
  };

  const takeForcedDrop = (method: string, apiPath: string): ForcedFault | undefined => {
    const i = forced.findIndex(
      (x) =>
        x.drop &&
        (!x.method || x.method.toUpperCase() === method) &&
        (!x.path || (typeof x.path === 'string' ? apiPath.startsWith(x.path) : x.path.test(apiPath))),
    );
    if (i < 0) return undefined;
    const x = forced[i];
    if (x && --x.left <= 0) forced.splice(i, 1);
    return x;
  };

  const onAad = async (
    req: IncomingMessage,
    res: ServerResponse,
    time: number,
    pathname: string,
    queryStr: string,
    raw: Buffer,
  ) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = lowerHeaders(req.headers as Record<string, unknown>);
    const query = new URLSearchParams(queryStr);
    const correlationId = headers['client-request-id'] ?? query.get('client-request-id') ?? randomUUID();
    const entry: LogEntry = {
      time,
      method,
      path: pathname,
      query: queryStr || undefined,
      status: 0,
      requestId: randomUUID(),
      clientRequestId: correlationId,
      kind: 'metadata',
    };
    log.push(entry);
    let answer: { status: number; headers: Record<string, string>; body: unknown };
    let m: RegExpExecArray | null;
    if ((m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(pathname))) {
      entry.kind = 'token';
      if (method !== 'POST') {
        answer = aad.aadError(
          400,
          'invalid_request',
          900561,
          'The endpoint only accepts POST requests.',
          correlationId,
        );
      } else {
        const form = new URLSearchParams(raw.toString('utf8'));
        answer = aad.token(decodeURIComponent(m[1] ?? ''), form, headers, correlationId);
        const cid = form.get('client_id');
        if (cid) entry.appId = cid;
      }
    } else if ((m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(pathname))) {
      answer = aad.knowsTenant(decodeURIComponent(m[1] ?? ''))
        ? { status: 200, headers: {}, body: aad.openidConfiguration() }
        : aad.unknownTenant(decodeURIComponent(m[1] ?? ''), correlationId);
    } else if ((m = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(pathname))) {
      answer = aad.knowsTenant(decodeURIComponent(m[1] ?? ''))
        ? { status: 200, headers: {}, body: aad.jwks() }
        : aad.unknownTenant(decodeURIComponent(m[1] ?? ''), correlationId);
    } else {
      answer = {
        status: 404,
        headers: {},
        body: { error: 'not_found', error_description: `The emulator serves no ${pathname}` },
      };
    }
    entry.status = answer.status;
    await sleep(faults.slowMs);
    send(
      res,
      answer.status,
      { 'content-type': 'application/json; charset=utf-8', 'client-request-id': correlationId, ...answer.headers },
      answer.body,
    );
  };

  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const time = Date.now();
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    const pathname = qi >= 0 ? url.slice(0, qi) : url;
    const queryStr = qi >= 0 ? url.slice(qi + 1) : '';
    readBody(req)
      .then((raw) => {
        if (pathname === '/v1.0' || pathname.startsWith('/v1.0/'))
          return onGraph(req, res, time, pathname, queryStr, raw);
        return onAad(req, res, time, pathname, queryStr, raw);
      })
      .catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          send(
            res,
            500,
            {},
            { error: { code: 'generalException', message: `Emulator failure: ${(err as Error).message}` } },
          );
        }
      });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {
    /* a client that does not trust the certificate: nothing to do */
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  baseUrl = `https://127.0.0.1:${port}`;
  const dispatcher = new Agent({ connect: { ca: tls.certPem } });

  const emu: GraphEmulator = {
    baseUrl,
    authorityHost: `127.0.0.1:${port}`,
    tenantId,
    tenantDomain,
    authority: `${baseUrl}/${tenantId}`,
    tokenEndpoint: aad.tokenEndpoint(),
    authorityMetadata: JSON.stringify(aad.openidConfiguration()),
    caCertPem: tls.certPem,
    caCertPath: tls.certPath,
    addApp: (app) => aad.addApp(app),
    seedUsers: (users) => users.map((u) => copyObject(dir.seedUser(u as Record<string, unknown>).data)),
    seedGroups: (groups) =>
      groups.map((g) => {
        const members = (g.members ?? []).map((m) => (dir.findUser(m) ?? dir.getGroup(m)).data.id);
        return copyObject(dir.seedGroup({ ...(g as Record<string, unknown>), members }).data);
      }),
    users: () => [...dir.userOrder.after(0)].map((r) => copyObject(r.data)),
    groups: () => [...dir.groupOrder.after(0)].map((r) => copyObject(r.data)),
    members: (groupId) => [...dir.getGroup(groupId).members],
    managerOf: (u) => dir.getUser(u).managerId,
    deletedUsers: () => [...dir.deletedUsers.values()].map((r) => copyObject(r.data)),
    deletedGroups: () => [...dir.deletedGroups.values()].map((r) => copyObject(r.data)),
    faults,
    failNext: (f) => {
      forced.push({ ...f, left: f.times ?? 1 });
    },
    log,
    sentMail,
    passwordChanges,
    issueToken: (clientId) => aad.issueToken(clientId),
    invalidateTokens: () => {
      aad.generation++;
    },
    expireDeltaTokens: () => {
      deltaEpoch++;
    },
    fetch: ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
      undiciFetch(input, { dispatcher, ...init })) as typeof undiciFetch,
    dispatcher,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await dispatcher.close().catch(() => {});
      await rm(tls.dir, { recursive: true, force: true });
    },
  };
  return emu;
}
