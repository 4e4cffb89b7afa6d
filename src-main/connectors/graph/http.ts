// A typed HTTP layer of our own on (undici's) fetch for Microsoft Graph:
// bearer token, retries of 429/503/504 honouring Retry-After (backoff with
// jitter otherwise), per-request timeout and cancellation, the write governor,
// paging by @odata.nextLink, and every failure turned into a ConnectorError
// that keeps Graph's request-id.
import { fetch, type Dispatcher } from 'undici';
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../connector.ts';
import { cancelled, graphError, networkError } from './errors.ts';
import { decideRetry, defaultRetryPolicy, sleep as defaultSleep, type RetryPolicy } from './retry.ts';
import type { WriteGovernor } from './governor.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface TokenSource {
  /** A bearer token for Graph; forceRefresh skips the cache (after a 401). */
  token(signal?: AbortSignal, forceRefresh?: boolean): Promise<string>;
}

export interface GraphRequest {
  method?: HttpMethod;
  /** Relative to the Graph base ('/users'), or an absolute nextLink / deltaLink on the same host. */
  url: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** What we are doing, in the admin's words, for error sentences ("create the user x"). */
  what?: string;
  /** Writes the request makes, for the governor (default 1 for non-GET, 0 for GET; a $batch passes its count). */
  writes?: number;
  /** Resend a POST after a lost connection (only where a repeat is harmless or detected as "already exists"). */
  retryUnsafe?: boolean;
  /** Statuses returned to the caller instead of thrown (e.g. 404 on delete, 400 "already exists"). */
  accept?: readonly number[];
  /** Stable client-request-id across retries (one is made when absent). */
  clientRequestId?: string;
}

export interface GraphResponse<T> {
  status: number;
  body: T;
  headers: Headers;
  requestId?: string;
  clientRequestId: string;
}

export interface AttemptInfo {
  method: HttpMethod;
  path: string;
  status: number;
  attempt: number;
  /** Wait before the next attempt, when one follows. */
  delayMs?: number;
}

export interface HttpStats {
  /** HTTP requests sent to Graph (every attempt, $batch envelopes count once). */
  requests: number;
  retries: number;
  throttled: number;
  unavailable: number;
  networkFailures: number;
}

export interface GraphHttpOptions {
  graphBase: string;
  tokens: TokenSource;
  dispatcher?: Dispatcher;
  timeoutMs: number;
  governor?: WriteGovernor;
  retry?: Partial<RetryPolicy>;
  /** Whether a proxy is configured (for the error sentence). */
  proxy?: boolean;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onAttempt?: (info: AttemptInfo) => void;
}

export interface ODataPage<T> {
  value: T[];
  nextLink?: string;
  deltaLink?: string;
}

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'PUT', 'DELETE', 'PATCH']);

export class GraphHttp {
  readonly graphBase: string;
  readonly policy: RetryPolicy;
  readonly stats: HttpStats = { requests: 0, retries: 0, throttled: 0, unavailable: 0, networkFailures: 0 };
  private readonly opts: GraphHttpOptions;
  private readonly origin: string;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(opts: GraphHttpOptions) {
    this.opts = opts;
    this.graphBase = opts.graphBase.replace(/\/+$/, '');
    this.origin = new URL(this.graphBase).origin;
    this.policy = { ...defaultRetryPolicy, ...opts.retry };
    this.sleep = opts.sleep ?? defaultSleep;
  }

  get governor(): WriteGovernor | undefined {
    return this.opts.governor;
  }

  /** Absolute URL for a relative Graph path or a same-host link; the token never goes to another host. */
  resolve(url: string, query?: GraphRequest['query']): string {
    let abs: string;
    if (/^https?:\/\//i.test(url)) {
      if (new URL(url).origin !== this.origin) {
        throw new ConnectorError(
          'invalid_value',
          'Microsoft Graph returned a link to another host; it was not followed.',
          {
            details: { host: new URL(url).host },
            transient: false,
          },
        );
      }
      abs = url;
    } else {
      abs = `${this.graphBase}${url.startsWith('/') ? '' : '/'}${url}`;
    }
    const q = Object.entries(query ?? {}).filter(
      (e): e is [string, string | number] => e[1] !== undefined && e[1] !== '',
    );
    if (q.length === 0) return abs;
    const qs = q
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v)).replace(/%2C/g, ',').replace(/%24/g, '$')}`)
      .join('&');
    return `${abs}${abs.includes('?') ? '&' : '?'}${qs}`;
  }

  /** The URL a directory object is referenced by in @odata.bind / $ref bodies. */
  objectUrl(id: string): string {
    return `${this.graphBase}/directoryObjects/${encodeURIComponent(id)}`;
  }

  async request<T = unknown>(req: GraphRequest): Promise<GraphResponse<T>> {
    const method = req.method ?? 'GET';
    const url = this.resolve(req.url, req.query);
    const path = new URL(url).pathname;
    const clientRequestId = req.clientRequestId ?? randomUUID();
    const writes = req.writes ?? (method === 'GET' ? 0 : 1);
    const retryNetwork = IDEMPOTENT.has(method) || req.retryUnsafe === true;
    let refreshed = false;
    let forceToken = false;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw cancelled();
      const ticket = writes > 0 && this.opts.governor ? await this.acquire(writes, req.signal) : undefined;
      let status = 0;
      let res: Awaited<ReturnType<typeof fetch>> | undefined;
      let failure: unknown;
      try {
        const token = await this.opts.tokens.token(req.signal, forceToken);
        forceToken = false;
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'client-request-id': clientRequestId,
          ...req.headers,
        };
        let body: string | undefined;
        if (req.body !== undefined) {
          body = JSON.stringify(req.body);
          headers['content-type'] = 'application/json';
        }
        const signals = [AbortSignal.timeout(this.opts.timeoutMs)];
        if (req.signal) signals.push(req.signal);
        this.stats.requests++;
        res = await fetch(url, {
          method,
          headers,
          body,
          signal: AbortSignal.any(signals),
          dispatcher: this.opts.dispatcher,
        });
        status = res.status;
      } catch (err) {
        ticket?.release();
        if (req.signal?.aborted) throw cancelled();
        if (err instanceof ConnectorError) throw err; // token failures are already precise
        failure = err;
        this.stats.networkFailures++;
      }
      if (res) {
        const requestId = res.headers.get('request-id') ?? undefined;
        let parsed: unknown;
        try {
          parsed = await readBody(res);
        } catch (err) {
          ticket?.release();
          if (req.signal?.aborted) throw cancelled();
          failure = err;
          status = 0;
          this.stats.networkFailures++;
        }
        ticket?.release();
        if (failure === undefined) {
          if (status < 400 || req.accept?.includes(status)) {
            return { status, body: parsed as T, headers: res.headers, requestId, clientRequestId };
          }
          if (status === 401 && !refreshed) {
            refreshed = true;
            forceToken = true;
            this.opts.onAttempt?.({ method, path, status, attempt, delayMs: 0 });
            continue;
          }
          if (status === 429) {
            this.stats.throttled++;
          } else if (status === 503 || status === 504) {
            this.stats.unavailable++;
          }
          const decision = decideRetry(
            { status, retryAfter: res.headers.get('retry-after'), attempt },
            this.policy,
            this.opts.random,
          );
          if (decision.retry) {
            this.stats.retries++;
            this.opts.onAttempt?.({ method, path, status, attempt, delayMs: decision.delayMs });
            await this.wait(decision.delayMs, req.signal);
            continue;
          }
          this.opts.onAttempt?.({ method, path, status, attempt });
          throw graphError(status, parsed, {
            what: req.what,
            requestId,
            clientRequestId,
            method,
            url,
            retryAfterMs: decision.retryAfterMs,
          });
        }
      }
      // network failure (no answer, or the answer broke off)
      const decision = decideRetry({ status: 0, attempt, retryNetwork }, this.policy, this.opts.random);
      if (decision.retry) {
        this.stats.retries++;
        this.opts.onAttempt?.({ method, path, status: 0, attempt, delayMs: decision.delayMs });
        await this.wait(decision.delayMs, req.signal);
        continue;
      }
      throw networkError(failure, { what: req.what, url, proxy: this.opts.proxy });
    }
  }

  /** Pages of a collection, following @odata.nextLink to the end (and returning the deltaLink on the last page). */
  async *pages<T>(req: GraphRequest): AsyncGenerator<ODataPage<T>> {
    let next: GraphRequest | undefined = req;
    while (next) {
      const res: GraphResponse<{ value?: T[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }> =
        await this.request(next);
      const body = res.body ?? {};
      const page: ODataPage<T> = {
        value: body.value ?? [],
        nextLink: body['@odata.nextLink'],
        deltaLink: body['@odata.deltaLink'],
      };
      yield page;
      next = page.nextLink ? { ...req, url: page.nextLink, query: undefined } : undefined;
    }
  }

  private async acquire(writes: number, signal?: AbortSignal) {
    try {
      return await this.opts.governor!.acquire(writes, signal);
    } catch {
      throw cancelled();
    }
  }

  private async wait(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.sleep(ms, signal);
    } catch {
      throw cancelled();
    }
  }
}

async function readBody(res: Awaited<ReturnType<typeof fetch>>): Promise<unknown> {
  if (res.status === 204) {
    await res.body?.cancel();
    return undefined;
  }
  const text = await res.text();
  if (text === '') return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json') || /^[[{]/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return { error: { code: 'InvalidResponse', message: text.slice(0, 500) } };
    }
  }
  return { error: { code: 'NonJsonResponse', message: text.slice(0, 500) } };
}
