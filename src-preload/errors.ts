// Every error code the app gives, shared by the main process, the command line
// and the renderer: a code the renderer or a script compares against must be
// one of these, so a misspelt or removed code is a type error, not a branch
// that never runs.

/** Failure classes a connector reports; the engine retries the transient ones. */
export const connectorErrorCodes = [
  'unreachable',
  'timeout',
  'tls_required',
  'certificate_untrusted',
  'certificate_name_mismatch',
  'certificate_self_signed',
  'invalid_credentials',
  'account_locked',
  'account_disabled',
  'password_expired',
  'password_must_change',
  'account_expired',
  'base_not_found',
  'filter_invalid',
  'size_limit',
  'permission_missing',
  'tenant_not_found',
  'certificate_expired',
  'already_exists',
  /** More than one object matches by the directory's rules: the admin decides. */
  'conflict',
  /** A protected or out-of-scope object (a privileged account or group): never written. */
  'protected',
  'not_found',
  'constraint',
  'password_policy',
  'invalid_value',
  'throttled',
  'busy',
  'cancelled',
  'unknown',
] as const;
export type ConnectorErrorCode = (typeof connectorErrorCodes)[number];

/** Codes of the app itself: the bridge, the services, the shells and the command line. */
export const appErrorCodes = [
  'validation',
  'not_found',
  'conflict',
  'stale_plan',
  'threshold',
  'empty_source',
  'source_failed',
  'import_off',
  'cancelled',
  'usage',
  'not_available',
  'desktop_only',
  'export_failed',
  'mail_refused',
  'mail_failed',
  'portal_failed',
  'portal_stopped',
  'portal_unreachable',
  'certificate_generation_failed',
  'secret_unreadable',
  'secret_key_invalid',
  'secret_store_unavailable',
  'secret_store_unreadable',
  'secret_required',
  'store_unreadable',
  'store_too_new',
  'folder_busy',
  'unknown_channel',
  'unauthorized',
  'forbidden',
  'internal',
] as const;
export type AppErrorCode = (typeof appErrorCodes)[number];

/** Any code an error crossing the bridge or leaving the command line may carry. */
export type ErrorCode = AppErrorCode | ConnectorErrorCode;
