// Graph error answers → ConnectorError: one sentence in the admin's words,
// and the server's own code, message and request-id in details.
import { ConnectorError, type ConnectorErrorCode } from '../connector.ts';

export interface GraphErrorBody {
  error?: {
    code?: string;
    message?: string;
    innerError?: { date?: string; 'request-id'?: string; 'client-request-id'?: string; code?: string };
    details?: unknown;
  };
}

export interface GraphErrorDetails {
  status: number;
  /** Graph's own error code and message, as sent. */
  code?: string;
  message?: string;
  requestId?: string;
  clientRequestId?: string;
  date?: string;
  method?: string;
  /** Path without the query (no values from $filter). */
  path?: string;
}

const ALREADY_EXISTS = /already exist/i;

export function isAlreadyExists(status: number, body: unknown): boolean {
  const e = (body as GraphErrorBody | undefined)?.error;
  if (status === 409) return true;
  return status === 400 && typeof e?.message === 'string' && ALREADY_EXISTS.test(e.message);
}

/** True when a delta link can no longer be used: start over with a full read. */
export function isResyncRequired(status: number, body: unknown): boolean {
  const code = (body as GraphErrorBody | undefined)?.error?.code ?? '';
  return status === 410 || /resync|syncState|deltatoken|tokenExpired/i.test(code);
}

function pathOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0];
  }
}

/** Turns one Graph answer into the error the engine and the admin see. `what` says what we were doing ("create the user x"). */
export function graphError(
  status: number,
  body: unknown,
  ctx: {
    what?: string;
    requestId?: string;
    clientRequestId?: string;
    method?: string;
    url?: string;
    retryAfterMs?: number;
  },
): ConnectorError {
  const e = (body as GraphErrorBody | undefined)?.error;
  const details: GraphErrorDetails = {
    status,
    code: e?.code,
    message: e?.message,
    requestId: e?.innerError?.['request-id'] ?? ctx.requestId,
    clientRequestId: e?.innerError?.['client-request-id'] ?? ctx.clientRequestId,
    date: e?.innerError?.date,
    method: ctx.method,
    path: pathOf(ctx.url),
  };
  const [code, reason] = classify(status, e?.code, e?.message);
  const what = ctx.what ?? 'complete the request';
  return new ConnectorError(code, `Microsoft Entra ID could not ${what}: ${reason}.`, {
    details,
    retryAfterMs: ctx.retryAfterMs,
    transient: code === 'throttled' || code === 'busy' || code === 'timeout' || code === 'unreachable',
  });
}

function classify(status: number, code = '', message = ''): [ConnectorErrorCode, string] {
  if (status === 429) return ['throttled', 'Microsoft Graph is throttling this app; it will be retried later'];
  if (status === 503 || status === 502 || status === 504 || status === 500)
    return ['busy', 'the Microsoft Graph service is busy or unavailable'];
  if (status === 401) return ['invalid_credentials', "Microsoft Graph did not accept the app's access token"];
  if (status === 403)
    return ['permission_missing', 'the app registration lacks the permission (or directory role) this needs'];
  if (status === 404) return ['not_found', 'the object does not exist in the tenant'];
  if (status === 410) return ['not_found', 'the saved change-tracking state has expired; a full read is needed'];
  if (isAlreadyExists(status, { error: { message } }))
    return ['already_exists', 'an object with the same value already exists'];
  if (/Request_UnsupportedQuery/i.test(code)) return ['filter_invalid', 'Microsoft Graph does not support this query'];
  if (/password/i.test(message) && /complex|policy|strength|length/i.test(message))
    return ['password_policy', "the password does not meet the tenant's password policy"];
  if (status === 400) return ['invalid_value', 'Microsoft Graph rejected a value'];
  if (status === 412 || status === 409) return ['constraint', 'the object changed or conflicts with another one'];
  return ['unknown', `Microsoft Graph answered HTTP ${status}`];
}

/** A failure below HTTP: connection refused, reset, DNS, TLS, proxy. */
export function networkError(err: unknown, ctx: { what?: string; url?: string; proxy?: boolean }): ConnectorError {
  const cause = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const code = cause?.cause?.code ?? cause?.code ?? '';
  const msg = cause?.cause?.message ?? cause?.message ?? String(err);
  const host = (() => {
    try {
      return ctx.url ? new URL(ctx.url).host : undefined;
    } catch {
      return undefined;
    }
  })();
  const details = { code: code || undefined, message: msg, host };
  const what = ctx.what ?? 'reach Microsoft Graph';
  if (
    cause?.name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new ConnectorError('timeout', `Microsoft Entra ID did not answer in time (${what}).`, {
      details,
      cause: err,
    });
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/i.test(code) || /certificate/i.test(msg)) {
    return new ConnectorError(
      'certificate_untrusted',
      `The server certificate of ${host ?? 'Microsoft Entra ID'} is not trusted; add the issuing CA in the directory settings.`,
      { details, cause: err, transient: false },
    );
  }
  if (ctx.proxy) {
    return new ConnectorError(
      'unreachable',
      `Microsoft Entra ID could not be reached through the configured proxy (${what}); check the proxy address.`,
      {
        details,
        cause: err,
      },
    );
  }
  return new ConnectorError(
    'unreachable',
    `Microsoft Entra ID could not be reached at ${host ?? 'its address'} (${what}); check the network and the cloud setting.`,
    {
      details,
      cause: err,
    },
  );
}

export function cancelled(): ConnectorError {
  return new ConnectorError('cancelled', 'The operation was cancelled.', { transient: false });
}
