// Everything an LDAP operation can throw → ConnectorError: a stable code the
// engine acts on, one sentence for the admin, and the server's own message,
// result code and (Active Directory) data code in details.
import { ConnectorError, type ConnectorErrorCode } from '../connector.ts';
import { DnSyntaxError } from './escape.ts';
import { FilterSyntaxError } from './filter.ts';
import { ppolicyErrors, type PpolicyResponse } from './ppolicy.ts';

/** What was being done, for the sentence and the details. Never a secret. */
export interface ErrorContext {
  /** e.g. "bind", "search", "create user". */
  action?: string;
  dn?: string;
  url?: string;
  /** The search base, when a missing base means a configuration problem. */
  base?: string;
  /** The password-policy response control the server sent with its answer, if any. */
  ppolicy?: PpolicyResponse;
}

/**
 * OpenLDAP's answer to any operation but a password change from an account
 * that must change its password first (ppolicy pwdReset).
 */
const RESTRICTED_TO_PASSWORD_CHANGE = /Operations are restricted to bind\/unbind\/abandon\/StartTLS\/modify password/i;

/** AD bind data codes (in "…, data 52e, v4563" of the diagnostic message). */
export const adDataCodes: Record<string, { code: ConnectorErrorCode; meaning: string }> = {
  '525': { code: 'invalid_credentials', meaning: 'the account does not exist' },
  '52e': { code: 'invalid_credentials', meaning: 'the user name or password is wrong' },
  '530': { code: 'invalid_credentials', meaning: 'the account may not log on at this time (logon hours)' },
  '531': { code: 'invalid_credentials', meaning: 'the account may not log on from this workstation' },
  '532': { code: 'password_expired', meaning: 'the password has expired' },
  '533': { code: 'account_disabled', meaning: 'the account is disabled' },
  '568': { code: 'invalid_credentials', meaning: 'the account has too many security identifiers (token size)' },
  '701': { code: 'account_expired', meaning: 'the account has expired' },
  '773': { code: 'password_must_change', meaning: 'the password must be changed before the account can log on' },
  '775': { code: 'account_locked', meaning: 'the account is locked out' },
};

/** Extracts AD's bind data code from a diagnostic message ("... data 52e, v893"). */
export function adDataCode(serverMessage: string): string | undefined {
  const m = /\bdata ([0-9a-f]{3,8})\b/i.exec(serverMessage);
  return m?.[1]?.toLowerCase().replace(/^0+(?=[0-9a-f]{3})/, '');
}

/** The server's diagnostic text of an ldapts result error, without ldapts' suffix. */
export function serverMessageOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
}

function resultCodeOf(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  // ldapts ResultCodeError: numeric code and a *Error name.
  return typeof code === 'number' ? code : undefined;
}

const certCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'EPIPE',
]);

const where = (ctx: ErrorContext) => (ctx.url ? ` (${ctx.url})` : '');
const doing = (ctx: ErrorContext) =>
  ctx.action ? `${ctx.action[0]?.toUpperCase()}${ctx.action.slice(1)} failed: ` : '';

/** Maps anything an LDAP call threw to a ConnectorError (returned as is when it already is one). */
export function toConnectorError(err: unknown, ctx: ErrorContext = {}): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const serverMessage = serverMessageOf(err);
  const base = { action: ctx.action, dn: ctx.dn, url: ctx.url };
  const make = (code: ConnectorErrorCode, sentence: string, extra: Record<string, unknown> = {}, transient?: boolean) =>
    new ConnectorError(code, sentence, { details: { ...base, serverMessage, ...extra }, cause: err, transient });

  if (err instanceof FilterSyntaxError) return make('filter_invalid', `The LDAP filter is not valid: ${err.message}`);
  if (err instanceof DnSyntaxError) return make('invalid_value', `${doing(ctx)}${err.message}`);
  if (err && typeof err === 'object' && (err as { name?: string }).name === 'AbortError')
    return make('cancelled', 'The operation was cancelled.');

  const resultCode = resultCodeOf(err);
  const policy = ctx.ppolicy?.error !== undefined ? ppolicyErrors[ctx.ppolicy.error] : undefined;
  if (resultCode !== undefined && policy) {
    // The password-policy control names the reason the result code alone hides.
    const extra = { resultCode, resultName: (err as Error).name, ppolicyError: policy.name };
    const sentence =
      resultCode === 49 || ctx.action === 'bind'
        ? `The directory refused the bind account${where(ctx)}: ${policy.meaning} (password policy).`
        : `${doing(ctx)}${policy.meaning} (password policy).`;
    return make(policy.code, sentence, extra, false);
  }
  if (resultCode === 53 && RESTRICTED_TO_PASSWORD_CHANGE.test(serverMessage)) {
    return make(
      'password_must_change',
      `The bind account's password was reset and must be changed before it can do anything else${where(ctx)} (password policy).`,
      { resultCode, resultName: (err as Error).name, ppolicyError: 'changeAfterReset' },
      false,
    );
  }
  if (resultCode !== undefined) {
    const extra: Record<string, unknown> = { resultCode, resultName: (err as Error).name };
    switch (resultCode) {
      case 49: {
        const data = adDataCode(serverMessage);
        const decoded = data ? adDataCodes[data] : undefined;
        if (decoded) {
          return make(
            decoded.code,
            `The directory refused the bind account${where(ctx)}: ${decoded.meaning} (AD data code ${data}).`,
            {
              ...extra,
              adDataCode: data,
              adMeaning: decoded.meaning,
            },
          );
        }
        // Without a password-policy response (no ppolicy on the server, or none sent) a locked account looks the same.
        return make(
          'invalid_credentials',
          `The directory refused the bind DN or password${where(ctx)}: ${ctx.ppolicy ? 'the password is wrong (or the account does not exist)' : "invalid credentials, or an account locked by the directory's password policy"}.`,
          extra,
        );
      }
      case 8:
      case 13:
        return make(
          'tls_required',
          `The server requires an encrypted connection${where(ctx)}: use ldaps:// or switch on StartTLS.`,
          extra,
        );
      case 7:
      case 48:
        return make('invalid_credentials', `The server does not accept this kind of bind${where(ctx)}.`, extra);
      case 32:
        if (ctx.base)
          return make('base_not_found', `The base DN "${ctx.base}" does not exist on the server${where(ctx)}.`, {
            ...extra,
            base: ctx.base,
          });
        return make('not_found', `${doing(ctx)}the entry does not exist${ctx.dn ? ` (${ctx.dn})` : ''}.`, extra);
      case 4:
      case 11:
        return make(
          'size_limit',
          `The server stopped the listing at its size limit${where(ctx)}: the list is incomplete. Raise the limit for the bind account on the server (OpenLDAP "limits", AD MaxPageSize) or lower the page size.`,
          extra,
        );
      case 3:
        return make('timeout', `The server's time limit ended the search${where(ctx)}.`, extra, true);
      case 50:
        return make(
          'permission_missing',
          `${doing(ctx)}the bind account lacks the permission for this${ctx.dn ? ` on ${ctx.dn}` : ''}.`,
          extra,
        );
      case 51:
        return make('busy', `The server is busy${where(ctx)}; the operation will be retried.`, extra);
      case 52:
        return make('busy', `The server is unavailable${where(ctx)}; the operation will be retried.`, extra);
      case 53:
        if (/0000052D|password|pwd/i.test(serverMessage))
          return make(
            'password_policy',
            `${doing(ctx)}the password does not meet the directory's password policy.`,
            extra,
          );
        return make('constraint', `${doing(ctx)}the server is unwilling to perform it.`, extra);
      case 19:
        if (/0000052D|password|pwd|complex|history|too short/i.test(serverMessage))
          return make(
            'password_policy',
            `${doing(ctx)}the password does not meet the directory's password policy.`,
            extra,
          );
        return make(
          'constraint',
          `${doing(ctx)}a constraint of the directory was violated (unique value, size or range).`,
          extra,
        );
      case 68:
        return make(
          'already_exists',
          `${doing(ctx)}an entry with this name already exists${ctx.dn ? ` (${ctx.dn})` : ''}.`,
          extra,
        );
      case 20:
        return make('already_exists', `${doing(ctx)}the value is already there.`, extra);
      case 16:
        return make('not_found', `${doing(ctx)}the attribute value is not there.`, extra);
      case 17:
      case 18:
      case 21:
      case 34:
      case 64:
      case 65:
      case 67:
      case 69:
        return make(
          'invalid_value',
          `${doing(ctx)}the directory rejected a value or name (${(err as Error).name.replace(/Error$/, '')}).`,
          extra,
        );
      case 66:
        return make('constraint', `${doing(ctx)}the entry still has entries below it.`, extra);
      case 12:
        return make('unknown', `${doing(ctx)}the server does not support a control this operation needs.`, extra);
      case 2:
        if (/filter/i.test(serverMessage))
          return make('filter_invalid', `The server rejected the LDAP filter${where(ctx)}.`, extra);
        return make('unknown', `${doing(ctx)}the server reported a protocol error.`, extra);
      case 87:
        return make('filter_invalid', `The server rejected the LDAP filter${where(ctx)}.`, extra);
      default:
        return make('unknown', `${doing(ctx)}the server answered with LDAP result ${resultCode}.`, extra);
    }
  }

  const e = err as NodeJS.ErrnoException & { code?: string };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  const extra = code ? { errno: code } : {};
  if (code && certCodes.has(code))
    return make(
      'certificate_untrusted',
      `The server's certificate is not trusted${where(ctx)}: add the CA certificate that issued it, or check the host name.`,
      extra,
      false,
    );
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return make(
      'certificate_expired',
      `The server's certificate is expired or not yet valid${where(ctx)}.`,
      extra,
      false,
    );
  if (code && unreachableCodes.has(code))
    return make(
      'unreachable',
      `The server cannot be reached${where(ctx)}: ${code === 'ECONNREFUSED' ? 'nothing listens on that port' : code === 'ENOTFOUND' ? 'the host name is unknown' : 'the network refused the connection'}.`,
      extra,
    );
  if (code === 'EPROTO' || /wrong version number|ssl3_get_record|packet length too long|unknown protocol/i.test(msg))
    return make(
      'unreachable',
      `The TLS handshake failed${where(ctx)}: the port does not speak LDAPS (use ldap:// with StartTLS, or the LDAPS port).`,
      extra,
      false,
    );
  if (/^Connection timeout$/i.test(msg) || code === 'ETIMEDOUT')
    return make('timeout', `The server did not accept a connection in time${where(ctx)}.`, extra);
  if (/Operation timed out/i.test(msg))
    return make(
      'timeout',
      `The server did not answer in time${where(ctx)}${ctx.action ? ` (${ctx.action})` : ''}.`,
      extra,
    );
  if (/Connection closed|Socket error|socket hang up|Socket connection not established/i.test(msg))
    return make('unreachable', `The connection to the server was lost${where(ctx)}.`, extra);
  return make('unknown', `${doing(ctx)}${msg}`, extra);
}
