// Verify Credentials: the credential is sound, a token is acquired, the
// organization is read, and the token's application roles cover what the
// switched-on operations need; the missing permissions are listed by name.
// Each failure is named precisely (tenant not found, invalid client secret,
// expired certificate, permission missing, network or proxy failure).
import type { VerifyResult, VerifyStep } from '../../../src-preload/contract/directories.ts';
import type { Toggles } from '../../../src-preload/directory.ts';
import { ConnectorError } from '../connector.ts';
import type { GraphContext } from './context.ts';

/** A permission the directory needs and the grants that satisfy it. */
export interface Requirement {
  permission: string;
  /** Why, in the admin's words. */
  for: string;
  satisfiedBy: string[];
  /** Directory roles (template ids in the token's `wids`) that also satisfy it. */
  roles?: string[];
}

/** Directory role template ids that may reset passwords (User Administrator, Privileged Authentication Administrator, Global Administrator, Password Administrator, Helpdesk Administrator). */
export const passwordResetRoleIds = [
  'fe930be7-5e62-47db-91af-98c3a49a38b1',
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  '62e90394-69f5-4237-9190-012177145e10',
  '966707d0-3269-4727-9be2-8c3a10f19b9d',
  '729827e3-9c14-49f7-bb1b-9608f156bbb8',
];

const USER_READ = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const USER_WRITE = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const GROUP_READ = ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const GROUP_WRITE = ['Group.ReadWrite.All', 'Directory.ReadWrite.All'];
const MEMBER_WRITE = ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];

/** What the switched-on toggles (and a configured sender mailbox) need. */
export function requiredPermissions(toggles: Toggles, opts: { mailFrom?: string } = {}): Requirement[] {
  const out: Requirement[] = [];
  const add = (r: Requirement): void => {
    if (!out.some((o) => o.permission === r.permission)) out.push(r);
  };
  const u = toggles.users;
  const g = toggles.groups;
  if (u.create || u.edit || u.delete || u.passwordSync)
    add({ permission: 'User.ReadWrite.All', for: 'creating, editing and deleting users', satisfiedBy: USER_WRITE });
  else if (u.import) add({ permission: 'User.Read.All', for: 'importing users', satisfiedBy: USER_READ });
  if (g.create || g.delete)
    add({ permission: 'Group.ReadWrite.All', for: 'creating and deleting groups', satisfiedBy: GROUP_WRITE });
  else if (g.import) add({ permission: 'Group.Read.All', for: 'importing groups', satisfiedBy: GROUP_READ });
  if (g.membership)
    add({
      permission: 'GroupMember.ReadWrite.All',
      for: 'adding and removing group members',
      satisfiedBy: MEMBER_WRITE,
    });
  if (u.passwordSync) {
    add({
      permission: 'User-PasswordProfile.ReadWrite.All',
      for: 'setting passwords (or assign the app the User Administrator role)',
      satisfiedBy: ['User-PasswordProfile.ReadWrite.All'],
      roles: passwordResetRoleIds,
    });
  }
  if (opts.mailFrom) add({ permission: 'Mail.Send', for: 'sending activation mail', satisfiedBy: ['Mail.Send'] });
  return out;
}

/** The requirements the token's roles (and directory roles) do not meet. */
export function missingPermissions(
  required: Requirement[],
  roles: readonly string[],
  wids: readonly string[] = [],
): Requirement[] {
  const have = new Set(roles.map((r) => r.toLowerCase()));
  const widSet = new Set(wids.map((w) => w.toLowerCase()));
  return required.filter(
    (r) => !r.satisfiedBy.some((p) => have.has(p.toLowerCase())) && !(r.roles ?? []).some((id) => widSet.has(id)),
  );
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

const HINTS: Partial<Record<string, string>> = {
  tenant_not_found:
    'Copy the Directory (tenant) ID from the app registration overview and check the cloud (global, US Government, China).',
  invalid_credentials:
    'Create a new client secret (or upload the certificate) in the app registration and enter it here.',
  certificate_expired:
    'Make a new certificate, upload its public part to the app registration, and enter it with its key here.',
  permission_missing:
    'In the app registration, add these Microsoft Graph application permissions and grant admin consent.',
  unreachable:
    'Check the network, the proxy and the cloud setting; the workstation must reach the sign-in service and Microsoft Graph.',
  certificate_untrusted:
    'Add the CA that issued the server certificate (a TLS-inspecting proxy, for instance) in the directory settings.',
  timeout: 'Check the network and the proxy, or raise the timeout.',
};

function failure(err: unknown): NonNullable<VerifyResult['error']> {
  if (err instanceof ConnectorError) {
    return { code: err.code, message: err.message, details: err.details, hint: HINTS[err.code] };
  }
  return {
    code: 'unknown',
    message: 'Verification failed for an unexpected reason.',
    details: err instanceof Error ? err.message : String(err),
  };
}

export async function verifyGraph(ctx: GraphContext, signal?: AbortSignal): Promise<VerifyResult> {
  const steps: VerifyStep[] = [];
  const facts: VerifyResult['facts'] = {
    cloud: ctx.conn.cloud,
    authority: ctx.cloud.authority,
    graph: ctx.cloud.graphBase,
    credential: ctx.conn.credential,
  };
  const warnings: string[] = [];
  const fail = (name: string, err: unknown): VerifyResult => {
    const error = failure(err);
    steps.push({ name, ok: false, detail: error.message });
    return { ok: false, error, steps, facts, warnings };
  };

  // 1. The credential itself (before any request).
  try {
    const c = ctx.auth.checkCredential();
    if (c.certificate) {
      facts.certificateSubject = c.certificate.subject;
      facts.certificateValidTo = c.certificate.validTo;
      facts.certificateThumbprint = c.certificate.thumbprint;
      const days = Math.floor((Date.parse(c.certificate.validTo) - Date.now()) / 86_400_000);
      if (days < 30)
        warnings.push(`The certificate expires in ${days} day(s), on ${c.certificate.validTo.slice(0, 10)}.`);
    }
    steps.push({
      name: 'Credential',
      ok: true,
      detail: c.certificate
        ? `Certificate ${c.certificate.thumbprint}, valid until ${c.certificate.validTo.slice(0, 10)}`
        : 'Client secret present',
    });
  } catch (err) {
    return fail('Credential', err);
  }

  // 2. A token.
  let token: string;
  try {
    token = await ctx.auth.token(signal, true);
  } catch (err) {
    return fail('Sign-in', err);
  }
  const claims = ctx.auth.lastClaims() ?? {};
  const roles = strings(claims.roles);
  const wids = strings(claims.wids);
  facts.roles = roles;
  if (typeof claims.tid === 'string') facts.tenantId = claims.tid;
  if (typeof claims.appid === 'string' || typeof claims.azp === 'string')
    facts.appId = String(claims.appid ?? claims.azp);
  if (typeof claims.exp === 'number') facts.tokenExpires = new Date(claims.exp * 1000).toISOString();
  steps.push({
    name: 'Sign-in',
    ok: true,
    detail: `Token acquired${token ? '' : ''} with ${roles.length} application permission(s)`,
  });

  // 3. The organization.
  try {
    const res = await ctx.http.request<{
      value?: Array<{
        id?: string;
        displayName?: string;
        verifiedDomains?: Array<{ name?: string; isDefault?: boolean }>;
      }>;
    }>({
      url: '/organization',
      query: { $select: 'id,displayName,verifiedDomains' },
      accept: [403],
      signal,
      what: 'read the organization',
    });
    if (res.status === 403) {
      warnings.push(
        'The organization could not be read (Organization.Read.All is not granted); the tenant name and domains are not shown.',
      );
      steps.push({ name: 'Organization', ok: true, detail: 'Not readable with the granted permissions' });
    } else {
      const org = res.body?.value?.[0];
      const domains = (org?.verifiedDomains ?? []).map((d) => d.name ?? '').filter(Boolean);
      if (org?.displayName) facts.tenantName = org.displayName;
      facts.verifiedDomains = domains;
      const upnDomain = ctx.conn.upnDomain.replace(/^@/, '').toLowerCase();
      if (upnDomain && domains.length && !domains.some((d) => d.toLowerCase() === upnDomain)) {
        warnings.push(
          `The default UPN domain "${ctx.conn.upnDomain}" is not a verified domain of the tenant (${domains.join(', ')}); creating users will fail.`,
        );
      }
      steps.push({ name: 'Organization', ok: true, detail: org?.displayName ? `Tenant "${org.displayName}"` : 'Read' });
    }
  } catch (err) {
    return fail('Organization', err);
  }

  // 4. Permissions for what is switched on.
  const required = requiredPermissions(ctx.config.toggles, { mailFrom: ctx.conn.mailFrom });
  const missing = missingPermissions(required, roles, wids);
  facts.requiredPermissions = required.map((r) => r.permission);
  if (missing.length > 0) {
    const names = missing.map((m) => m.permission);
    return fail(
      'Permissions',
      new ConnectorError(
        'permission_missing',
        `The app registration is missing ${names.length === 1 ? 'the permission' : 'the permissions'} ${names.join(', ')} (needed for ${missing.map((m) => m.for).join('; ')}).`,
        { details: { missing: names, granted: roles }, transient: false },
      ),
    );
  }
  steps.push({
    name: 'Permissions',
    ok: true,
    detail: required.length
      ? `All needed: ${required.map((r) => r.permission).join(', ')}`
      : 'No operation is switched on yet',
  });
  return { ok: true, steps, facts, warnings };
}
