// Tokens for Graph: one msal-node ConfidentialClientApplication per directory
// (client-credentials flow, token served from MSAL's in-memory cache until
// shortly before expiry). The authority's openid-configuration is fetched once
// by us and handed to MSAL as authorityMetadata with knownAuthorities, so MSAL
// makes no discovery call of its own — only token POSTs — and every request
// goes through our undici dispatcher (custom CA, proxy).
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import { Agent, ProxyAgent, fetch, type Dispatcher } from 'undici';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import type { DirectorySecrets, EntraConnection } from '../../../src-preload/directory.ts';
import { ConnectorError } from '../connector.ts';
import type { CloudEndpoints } from './clouds.ts';
import { cancelled, networkError } from './errors.ts';
import type { TokenSource } from './http.ts';

export interface NetworkSetup {
  dispatcher: Dispatcher | undefined;
  proxy: boolean;
}

/** Shared per (proxy, CA): the cached MSAL applications keep using them after a connector is closed. */
const dispatchers = new Map<string, NetworkSetup>();

/** The dispatcher every request (Graph and token) goes through: the admin's CA added to the system roots, and the proxy. */
export function buildDispatcher(conn: Pick<EntraConnection, 'proxyUrl' | 'caCertPem'>): NetworkSetup {
  const key = `${conn.proxyUrl ?? ''}\u0000${conn.caCertPem ?? ''}`;
  let setup = dispatchers.get(key);
  if (!setup) {
    setup = makeDispatcher(conn);
    dispatchers.set(key, setup);
    if (dispatchers.size > 16) {
      const [oldKey, old] = dispatchers.entries().next().value!;
      dispatchers.delete(oldKey);
      void old.dispatcher?.close().catch(() => undefined);
    }
  }
  return setup;
}

function makeDispatcher(conn: Pick<EntraConnection, 'proxyUrl' | 'caCertPem'>): NetworkSetup {
  const ca = conn.caCertPem?.trim() ? [...rootCertificates, conn.caCertPem] : undefined;
  if (conn.proxyUrl) {
    return {
      dispatcher: new ProxyAgent({ uri: conn.proxyUrl, ...(ca ? { requestTls: { ca } } : {}) }),
      proxy: true,
    };
  }
  if (ca) return { dispatcher: new Agent({ connect: { ca } }), proxy: false };
  return { dispatcher: undefined, proxy: false };
}

export interface CertificateFacts {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  thumbprintSha256: string;
  /** SHA-1 thumbprint as the Entra portal shows it. */
  thumbprint: string;
}

/**
 * Reads the certificate credential: refuses an expired or not-yet-valid
 * certificate, and a key that does not belong to it, before any request is
 * made. Returns what MSAL needs (SHA-256 thumbprint, PKCS#8 key).
 */
export function loadCertificate(
  certificatePem: string | undefined,
  keyPem: string | undefined,
  now: Date = new Date(),
): {
  facts: CertificateFacts;
  thumbprintSha256: string;
  privateKey: string;
} {
  if (!certificatePem?.trim()) {
    throw new ConnectorError('invalid_value', 'The certificate (PEM) of the app registration is missing.', {
      transient: false,
    });
  }
  if (!keyPem?.trim()) {
    throw new ConnectorError('invalid_credentials', 'The private key of the certificate is missing.', {
      transient: false,
    });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch (err) {
    throw new ConnectorError('invalid_value', 'The certificate is not a readable PEM certificate.', {
      details: { message: (err as Error).message },
      transient: false,
    });
  }
  const facts: CertificateFacts = {
    subject: cert.subject,
    issuer: cert.issuer,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    thumbprintSha256: createHash('sha256').update(cert.raw).digest('hex').toUpperCase(),
    thumbprint: createHash('sha1').update(cert.raw).digest('hex').toUpperCase(),
  };
  if (new Date(cert.validTo).getTime() < now.getTime()) {
    throw new ConnectorError(
      'certificate_expired',
      `The app's certificate expired on ${facts.validTo.slice(0, 10)}; upload a new certificate to the app registration and here.`,
      { details: { subject: facts.subject, validTo: facts.validTo, thumbprint: facts.thumbprint }, transient: false },
    );
  }
  if (new Date(cert.validFrom).getTime() > now.getTime()) {
    throw new ConnectorError(
      'certificate_expired',
      `The app's certificate is not valid before ${facts.validFrom.slice(0, 10)}.`,
      {
        details: { subject: facts.subject, validFrom: facts.validFrom, thumbprint: facts.thumbprint },
        transient: false,
      },
    );
  }
  let privateKey: string;
  try {
    const key = createPrivateKey(keyPem);
    const mine = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const theirs = cert.publicKey.export({ type: 'spki', format: 'der' });
    if (!mine.equals(theirs)) {
      throw new ConnectorError('invalid_credentials', 'The private key does not belong to the certificate.', {
        details: { thumbprint: facts.thumbprint },
        transient: false,
      });
    }
    privateKey = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (err) {
    if (err instanceof ConnectorError) throw err;
    throw new ConnectorError(
      'invalid_credentials',
      'The private key is not a readable PEM key (encrypted keys are not supported).',
      {
        details: { message: (err as Error).message },
        transient: false,
      },
    );
  }
  return { facts, thumbprintSha256: facts.thumbprintSha256, privateKey };
}

/** Decodes a JWT's payload without verifying it (to read the roles of our own token). */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** MSAL / token-endpoint failures → the precise failure for the admin. */
export function tokenError(
  err: unknown,
  ctx: { credential: 'secret' | 'certificate'; tenantId: string; clientId: string },
): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = err as { errorCode?: string; errorMessage?: string; message?: string; subError?: string };
  const text = `${e?.errorCode ?? ''} ${e?.errorMessage ?? e?.message ?? ''}`;
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  const details = {
    errorCode: e?.errorCode,
    message: (e?.errorMessage ?? e?.message ?? '').split('\n')[0]?.slice(0, 500),
    aadsts: aadsts ? `AADSTS${aadsts}` : undefined,
  };
  const fail = (code: ConstructorParameters<typeof ConnectorError>[0], message: string): ConnectorError =>
    new ConnectorError(code, message, { details, transient: false, cause: err });
  switch (aadsts) {
    case '90002':
    case '900023':
    case '90072':
      return fail(
        'tenant_not_found',
        `The tenant "${ctx.tenantId}" was not found in this cloud; check the tenant ID and the cloud setting.`,
      );
    case '7000215':
      return fail(
        'invalid_credentials',
        'The client secret is not valid for this app registration; copy the secret value (not its ID) again.',
      );
    case '7000222':
      return fail('invalid_credentials', 'The client secret has expired; create a new one in the app registration.');
    case '700016':
      return fail('invalid_credentials', `No app with the client ID "${ctx.clientId}" is registered in this tenant.`);
    case '700027':
    case '700024':
    case '50012':
    case '5002723':
      return fail(
        'invalid_credentials',
        'The certificate was not accepted; check that it is uploaded to the app registration.',
      );
    case '7000112':
    case '70001':
      return fail('account_disabled', 'The app registration is disabled in this tenant.');
  }
  if (/invalid_tenant|tenant.*not found/i.test(text)) {
    return fail(
      'tenant_not_found',
      `The tenant "${ctx.tenantId}" was not found in this cloud; check the tenant ID and the cloud setting.`,
    );
  }
  if (/invalid_client|unauthorized_client/i.test(text)) {
    return fail(
      'invalid_credentials',
      ctx.credential === 'secret' ? 'The client secret was not accepted.' : 'The certificate was not accepted.',
    );
  }
  if (/network_error|Network request failed|timeout/i.test(text)) {
    return new ConnectorError('unreachable', 'The sign-in service of Microsoft Entra ID could not be reached.', {
      details,
      cause: err,
    });
  }
  return new ConnectorError('unknown', 'A token for Microsoft Graph could not be acquired.', {
    details,
    transient: false,
    cause: err,
  });
}

interface AppEntry {
  app: ConfidentialClientApplication;
  /** Client-credentials scope: for a custom authority, the Graph host its metadata names (msgraph_host). */
  scope: string;
  lastNetworkError: { error?: ConnectorError };
}

/** One application per directory (by its identity and credential); kept across connector instances. */
const apps = new Map<string, Promise<AppEntry>>();
const MAX_APPS = 32;

export interface GraphAuthOptions {
  conn: EntraConnection;
  secrets: DirectorySecrets;
  cloud: CloudEndpoints;
  network: NetworkSetup;
  timeoutMs: number;
}

export class GraphAuth implements TokenSource {
  private readonly o: GraphAuthOptions;
  private last: { accessToken: string; expiresOn?: Date } | undefined;
  private cert: CertificateFacts | undefined;

  constructor(o: GraphAuthOptions) {
    this.o = o;
  }

  /** Checks the credential locally (present, certificate valid and matching). Throws the precise error. */
  checkCredential(): { credential: 'secret' | 'certificate'; certificate?: CertificateFacts } {
    const { conn, secrets } = this.o;
    if (conn.credential === 'certificate') {
      const c = loadCertificate(conn.certificatePem, secrets.certificateKeyPem);
      this.cert = c.facts;
      return { credential: 'certificate', certificate: c.facts };
    }
    if (!secrets.clientSecret) {
      throw new ConnectorError('invalid_credentials', 'The client secret is missing.', { transient: false });
    }
    return { credential: 'secret' };
  }

  /** The roles and tenant of the last token (decoded, not verified). */
  lastClaims(): Record<string, unknown> | undefined {
    return this.last ? decodeJwtPayload(this.last.accessToken) : undefined;
  }

  async token(signal?: AbortSignal, forceRefresh = false): Promise<string> {
    if (signal?.aborted) throw cancelled();
    const { conn } = this.o;
    const entry = await this.entry();
    entry.lastNetworkError.error = undefined;
    const acquire = entry.app.acquireTokenByClientCredential({ scopes: [entry.scope], skipCache: forceRefresh });
    let result;
    try {
      result = signal ? await raceAbort(acquire, signal) : await acquire;
    } catch (err) {
      if (signal?.aborted) throw cancelled();
      throw (
        entry.lastNetworkError.error ??
        tokenError(err, { credential: conn.credential, tenantId: conn.tenantId, clientId: conn.clientId })
      );
    }
    if (!result?.accessToken)
      throw new ConnectorError('unknown', 'The sign-in service returned no access token.', { transient: false });
    this.last = { accessToken: result.accessToken, expiresOn: result.expiresOn ?? undefined };
    return result.accessToken;
  }

  private entry(): Promise<AppEntry> {
    const { conn, secrets, cloud } = this.o;
    const material =
      conn.credential === 'certificate'
        ? `${conn.certificatePem ?? ''}|${secrets.certificateKeyPem ?? ''}`
        : (secrets.clientSecret ?? '');
    const key = createHash('sha256')
      .update(
        [
          cloud.authority,
          cloud.scope,
          conn.clientId,
          conn.credential,
          material,
          conn.proxyUrl ?? '',
          conn.caCertPem ?? '',
        ].join('\u0000'),
      )
      .digest('hex');
    let p = apps.get(key);
    if (!p) {
      p = this.build();
      apps.set(key, p);
      p.catch(() => apps.delete(key));
      if (apps.size > MAX_APPS) apps.delete(apps.keys().next().value!);
    }
    return p;
  }

  private async build(): Promise<AppEntry> {
    const { conn, secrets, cloud, network, timeoutMs } = this.o;
    const lastNetworkError: AppEntry['lastNetworkError'] = {};
    const metadata = await fetchAuthorityMetadata(cloud, network, timeoutMs, conn.tenantId);
    const auth: Configuration['auth'] = {
      clientId: conn.clientId,
      authority: cloud.authority,
      knownAuthorities: [new URL(cloud.authority).host],
      authorityMetadata: JSON.stringify(metadata),
    };
    if (conn.credential === 'certificate') {
      const c = loadCertificate(conn.certificatePem, secrets.certificateKeyPem);
      this.cert = c.facts;
      auth.clientCertificate = { thumbprintSha256: c.thumbprintSha256, privateKey: c.privateKey };
    } else {
      if (!secrets.clientSecret)
        throw new ConnectorError('invalid_credentials', 'The client secret is missing.', { transient: false });
      auth.clientSecret = secrets.clientSecret;
    }
    const app = new ConfidentialClientApplication({
      auth,
      system: {
        networkClient: networkClient(network, timeoutMs, lastNetworkError),
        loggerOptions: { piiLoggingEnabled: false, loggerCallback: () => undefined },
      },
    });
    const scope =
      cloud.custom && typeof metadata.msgraph_host === 'string' && metadata.msgraph_host
        ? `https://${metadata.msgraph_host}/.default`
        : cloud.scope;
    return { app, lastNetworkError, scope };
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export interface AuthorityMetadata {
  token_endpoint: string;
  issuer: string;
  authorization_endpoint: string;
  jwks_uri: string;
  [k: string]: unknown;
}

/** The authority's openid-configuration, fetched once through our dispatcher. */
export async function fetchAuthorityMetadata(
  cloud: CloudEndpoints,
  network: NetworkSetup,
  timeoutMs: number,
  tenantId: string,
): Promise<AuthorityMetadata> {
  const url = `${cloud.authority}/v2.0/.well-known/openid-configuration`;
  let res;
  try {
    res = await fetch(url, {
      dispatcher: network.dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    throw networkError(err, { what: 'reach the sign-in service', url, proxy: network.proxy });
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (!res.ok || typeof body.token_endpoint !== 'string') {
    const desc = String(body.error_description ?? body.error ?? text.slice(0, 300));
    if (res.status === 400 || res.status === 404 || /AADSTS90002|invalid_tenant/i.test(desc)) {
      throw new ConnectorError(
        'tenant_not_found',
        `The tenant "${tenantId}" was not found in this cloud; check the tenant ID and the cloud setting.`,
        {
          details: { status: res.status, error: body.error, message: desc.split('\n')[0] },
          transient: false,
        },
      );
    }
    throw new ConnectorError(
      res.status >= 500 ? 'busy' : 'unknown',
      'The sign-in service did not return its configuration.',
      {
        details: { status: res.status, message: desc.split('\n')[0] },
      },
    );
  }
  checkTokenEndpoint(body as AuthorityMetadata, cloud);
  return body as AuthorityMetadata;
}

/**
 * The client secret or signed assertion goes to the metadata's token
 * endpoint: it must be https on the authority's own host, so a custom
 * authority cannot hand the credential on to another server.
 */
export function checkTokenEndpoint(metadata: Pick<AuthorityMetadata, 'token_endpoint'>, cloud: CloudEndpoints): void {
  let url: URL | undefined;
  try {
    url = new URL(metadata.token_endpoint);
  } catch {
    url = undefined;
  }
  const authority = new URL(cloud.authorityHost);
  if (!url || url.protocol !== 'https:' || url.host !== authority.host)
    throw new ConnectorError(
      'invalid_value',
      `The sign-in service's token endpoint is not on ${authority.host} over https, so the credential is not sent to it; check the authority URL.`,
      { details: { tokenEndpoint: metadata.token_endpoint, authority: cloud.authorityHost }, transient: false },
    );
}

/** MSAL's network module on undici with our dispatcher; remembers the precise network failure MSAL would blur. */
function networkClient(
  network: NetworkSetup,
  timeoutMs: number,
  last: AppEntry['lastNetworkError'],
): NonNullable<NonNullable<Configuration['system']>['networkClient']> {
  const send = async <T>(
    method: 'GET' | 'POST',
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
    timeout?: number,
  ) => {
    let res;
    try {
      res = await fetch(url, {
        method,
        headers: options?.headers,
        body: method === 'POST' ? (options?.body ?? '') : undefined,
        dispatcher: network.dispatcher,
        signal: AbortSignal.timeout(timeout ?? timeoutMs),
      });
    } catch (err) {
      last.error = networkError(err, { what: 'reach the sign-in service', url, proxy: network.proxy });
      throw last.error;
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { error: 'invalid_response', error_description: text.slice(0, 300) };
    }
    return { headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
