// The Entra ID (AAD v2.0) side: openid-configuration, JWKS, and the client-credentials token
// endpoint with client secrets or certificate-signed client assertions. Access tokens are JWTs
// signed by the emulator's own RSA key and checked by the Graph side.
import { createHash, generateKeyPairSync, randomUUID, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { decodeJwt, parseCertificates, signJwt, verifyJwtSignature } from './jwt.ts';
import type { RegisteredCertificate } from './jwt.ts';
import { DIRECTORY_ROLE_IDS } from './graph-api.ts';
import type { Principal } from './graph-api.ts';

export interface AppRegistration {
  clientId: string;
  secret?: string;
  /** public certificate(s), PEM, for client assertions */
  certificatePem?: string;
  /** application permissions (app roles) granted with admin consent, e.g. 'User.ReadWrite.All' */
  roles: string[];
  /** directory roles assigned to the app's service principal, e.g. ['User Administrator'] */
  directoryRoles?: string[];
  displayName?: string;
}

interface AppState {
  reg: AppRegistration;
  certs: RegisteredCertificate[];
  servicePrincipalId: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CLOCK_SKEW_S = 300;

export interface AadOptions {
  tenantId: string;
  tenantDomains: string[];
  baseUrl: () => string;
  tokenLifetimeSeconds: number;
}

export class Aad {
  private readonly o: AadOptions;
  private readonly apps = new Map<string, AppState>();
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject };
  readonly kid: string;
  /** tokens minted before this generation are rejected (invalidateTokens) */
  generation = 0;

  constructor(o: AadOptions) {
    this.o = o;
    this.key = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = this.key.publicKey.export({ type: 'spki', format: 'der' });
    this.kid = createHash('sha256').update(der).digest('base64url').slice(0, 27);
  }

  addApp(reg: AppRegistration): void {
    if (!reg.clientId) throw new Error('addApp: clientId is required');
    const certs = reg.certificatePem ? parseCertificates(reg.certificatePem) : [];
    const prev = this.apps.get(reg.clientId.toLowerCase());
    this.apps.set(reg.clientId.toLowerCase(), {
      reg: { ...reg, roles: [...reg.roles], directoryRoles: [...(reg.directoryRoles ?? [])] },
      certs,
      servicePrincipalId: prev?.servicePrincipalId ?? randomUUID(),
    });
  }

  knowsTenant(t: string): boolean {
    const x = t.toLowerCase();
    return x === this.o.tenantId || this.o.tenantDomains.includes(x);
  }

  tokenEndpoint(): string {
    return `${this.o.baseUrl()}/${this.o.tenantId}/oauth2/v2.0/token`;
  }

  openidConfiguration(): Record<string, unknown> {
    const b = this.o.baseUrl();
    const t = this.o.tenantId;
    return {
      token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${b}/${t}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${b}/oidc/userinfo`,
      authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${b}/${t}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
    };
  }

  jwks(): Record<string, unknown> {
    const jwk = this.key.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    return { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, n: jwk.n, e: jwk.e }] };
  }

  /** An AAD error body and status, with the AADSTS text, trace and correlation ids. */
  aadError(status: number, error: string, code: number, text: string, correlationId: string): HttpAnswer {
    const traceId = randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': traceId },
      body: {
        error,
        error_description: `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${this.o.baseUrl()}/error?code=${code}`,
      },
    };
  }

  unknownTenant(tenant: string, correlationId: string): HttpAnswer {
    return this.aadError(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      correlationId,
    );
  }

  /** POST /{tenant}/oauth2/v2.0/token */
  token(tenant: string, form: URLSearchParams, headers: Record<string, string>, correlationId: string): HttpAnswer {
    if (!this.knowsTenant(tenant)) return this.unknownTenant(tenant, correlationId);
    const grant = form.get('grant_type');
    if (!grant) {
      return this.aadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'grant_type'.",
        correlationId,
      );
    }
    if (grant !== 'client_credentials') {
      return this.aadError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grant}'. The emulator supports client_credentials only.`,
        correlationId,
      );
    }
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(headers['authorization'] ?? '');
    if (basic) {
      const [id, pw] = Buffer.from(basic[1] ?? '', 'base64')
        .toString('utf8')
        .split(':');
      clientId = clientId ?? decodeURIComponent(id ?? '');
      secret = secret ?? decodeURIComponent(pw ?? '');
    }
    const assertion = form.get('client_assertion');
    const assertionType = form.get('client_assertion_type');
    if (!clientId && assertion) {
      const dec = decodeJwt(assertion);
      if (typeof dec?.payload.sub === 'string') clientId = dec.payload.sub;
    }
    if (!clientId) {
      return this.aadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
        correlationId,
      );
    }
    const scope = form.get('scope');
    if (!scope) {
      return this.aadError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'scope'.",
        correlationId,
      );
    }
    const scopes = scope.split(/\s+/).filter(Boolean);
    const dflt = scopes.filter((s) => s.endsWith('/.default'));
    if (dflt.length !== 1 || scopes.length !== 1) {
      return this.aadError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        correlationId,
      );
    }
    const resource = (dflt[0] ?? '').slice(0, -'/.default'.length).replace(/\/$/, '');
    if (resource !== GRAPH_RESOURCE && resource !== GRAPH_APP_ID) {
      return this.aadError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${this.o.tenantDomains[0]}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    }
    const app = this.apps.get(clientId.toLowerCase());
    if (!app) {
      return this.aadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.o.tenantDomains[0]}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        correlationId,
      );
    }
    let acr: '1' | '2';
    if (assertion || assertionType) {
      if (assertionType !== ASSERTION_TYPE) {
        return this.aadError(
          400,
          'invalid_request',
          50027,
          `Invalid client_assertion_type '${assertionType ?? ''}'.`,
          correlationId,
        );
      }
      const fail = this.checkAssertion(app, assertion ?? '', tenant);
      if (fail) return this.aadError(401, 'invalid_client', fail.code, fail.text, correlationId);
      acr = '2';
    } else if (secret !== null && secret !== undefined) {
      const want = app.reg.secret;
      const good =
        want !== undefined && secret.length === want.length && timingSafeEqual(Buffer.from(secret), Buffer.from(want));
      if (!good) {
        return this.aadError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.reg.clientId}'.`,
          correlationId,
        );
      }
      acr = '1';
    } else {
      return this.aadError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        correlationId,
      );
    }
    const lifetime = this.o.tokenLifetimeSeconds;
    return {
      status: 200,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store, no-cache',
        pragma: 'no-cache',
      },
      body: { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: this.mint(app, acr) },
    };
  }

  private checkAssertion(app: AppState, assertion: string, tenant: string): { code: number; text: string } | undefined {
    const bad = (why: string) => ({
      code: 700027,
      text: `Client assertion failed signature validation. [Reason - ${why}]`,
    });
    const jwt = decodeJwt(assertion);
    if (!jwt) return { code: 50027, text: 'JWT token is invalid or malformed.' };
    const { header, payload } = jwt;
    if (header.alg !== 'RS256' && header.alg !== 'PS256')
      return bad(`The algorithm '${String(header.alg)}' is not supported; use RS256 or PS256.`);
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const x5tS256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
    if (!x5t && !x5tS256) return bad('The client assertion has no x5t or x5t#S256 header.');
    const cert = app.certs.find((c) => (x5tS256 ? c.x5tS256 === x5tS256 : c.x5t === x5t));
    if (!cert) {
      return {
        code: 700027,
        text: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${x5tS256 ?? x5t}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.reg.clientId}'.]`,
      };
    }
    const nowMs = Date.now();
    if (nowMs > cert.validTo.getTime() || nowMs < cert.validFrom.getTime()) {
      return {
        code: 700027,
        text: `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${cert.thumbprintHex}', Found key 'Start=${cert.validFrom.toISOString()}, End=${cert.validTo.toISOString()}']`,
      };
    }
    if (!verifyJwtSignature(jwt, cert.publicKey)) {
      return {
        code: 700027,
        text: `Client assertion contains an invalid signature. [Reason - The signature is not valid., Thumbprint of key used by client: '${cert.thumbprintHex}']`,
      };
    }
    const clientId = app.reg.clientId.toLowerCase();
    if (String(payload.iss ?? '').toLowerCase() !== clientId || String(payload.sub ?? '').toLowerCase() !== clientId) {
      return {
        code: 700021,
        text: `Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
      };
    }
    const b = this.o.baseUrl().toLowerCase();
    const audiences = new Set<string>();
    for (const t of [this.o.tenantId, ...this.o.tenantDomains, tenant.toLowerCase()]) {
      audiences.add(`${b}/${t}/oauth2/v2.0/token`);
      audiences.add(`${b}/${t}/oauth2/token`);
      audiences.add(`${b}/${t}/v2.0`);
    }
    const auds = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).map((a) =>
      String(a ?? '')
        .toLowerCase()
        .replace(/\/$/, ''),
    );
    if (!auds.some((a) => audiences.has(a))) {
      return bad(
        `The audience claim '${auds.join(', ')}' is invalid; it must be the token endpoint ${this.tokenEndpoint()}.`,
      );
    }
    const now = Math.floor(nowMs / 1000);
    if (typeof payload.exp !== 'number') return bad("The client assertion has no 'exp' claim.");
    if (payload.exp + CLOCK_SKEW_S < now || (typeof payload.nbf === 'number' && payload.nbf - CLOCK_SKEW_S > now)) {
      const from = typeof payload.nbf === 'number' ? new Date(payload.nbf * 1000).toISOString() : 'unspecified';
      return {
        code: 700024,
        text: `Client assertion is not within its valid time range. Current time: ${new Date(nowMs).toISOString()}, assertion valid from ${from}, expiry time of assertion ${new Date(payload.exp * 1000).toISOString()}.`,
      };
    }
    return undefined;
  }

  private mint(app: AppState, acr: '1' | '2'): string {
    const now = Math.floor(Date.now() / 1000);
    const iss = `https://sts.windows.net/${this.o.tenantId}/`;
    const wids = (app.reg.directoryRoles ?? []).map((r) => DIRECTORY_ROLE_IDS[r]).filter(Boolean);
    wids.push('0997a1d0-0d1d-4acb-b408-d5ca73121e90');
    const payload: Record<string, unknown> = {
      aud: GRAPH_RESOURCE,
      iss,
      iat: now,
      nbf: now,
      exp: now + this.o.tokenLifetimeSeconds,
      app_displayname: app.reg.displayName ?? 'Provision Desk test app',
      appid: app.reg.clientId,
      appidacr: acr,
      idp: iss,
      idtyp: 'app',
      oid: app.servicePrincipalId,
      sub: app.servicePrincipalId,
      tid: this.o.tenantId,
      uti: randomUUID().replace(/-/g, '').slice(0, 22),
      ver: '1.0',
      wids,
      xms_emu_gen: this.generation,
    };
    if (app.reg.roles.length > 0) payload.roles = [...app.reg.roles];
    return signJwt({ typ: 'JWT', alg: 'RS256', kid: this.kid, x5t: this.kid }, payload, this.key.privateKey);
  }

  /** A token for the app without going through the token endpoint (for raw fetch tests). */
  issueToken(clientId: string): string {
    const app = this.apps.get(clientId.toLowerCase());
    if (!app) throw new Error(`issueToken: unknown app ${clientId}`);
    return this.mint(app, '1');
  }

  /** Checks a bearer token for Graph; returns the principal or the InvalidAuthenticationToken message. */
  authenticate(authorization: string | undefined): Principal | { error: string } {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return { error: 'Access token is empty.' };
    const jwt = decodeJwt(m[1] ?? '');
    if (!jwt) return { error: 'IDX14100: JWT is not well formed, there are no dots (.).' };
    if (jwt.header.alg !== 'RS256' || jwt.header.kid !== this.kid || !verifyJwtSignature(jwt, this.key.publicKey)) {
      return { error: 'Access token validation failure. Invalid signature.' };
    }
    const p = jwt.payload;
    if (p.aud !== GRAPH_RESOURCE && p.aud !== GRAPH_APP_ID)
      return { error: 'Access token validation failure. Invalid audience.' };
    if (p.tid !== this.o.tenantId) return { error: 'Access token validation failure. Invalid issuer.' };
    const now = Math.floor(Date.now() / 1000);
    if (typeof p.exp !== 'number' || p.exp < now || p.xms_emu_gen !== this.generation) {
      return { error: 'Lifetime validation failed, the token is expired.' };
    }
    const wids = Array.isArray(p.wids) ? (p.wids as string[]) : [];
    const directoryRoles = Object.entries(DIRECTORY_ROLE_IDS)
      .filter(([, id]) => wids.includes(id))
      .map(([name]) => name);
    return { appId: String(p.appid), roles: Array.isArray(p.roles) ? (p.roles as string[]) : [], directoryRoles };
  }
}
