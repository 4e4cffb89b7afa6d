// A directory as the admin configures it: connection, scope, where new objects
// go, attribute mapping, matching, provisioning toggles and safety limits.
// Secrets (bind password, client secret, certificate key) are never part of
// what crosses the bridge outward; on the way in they ride in `secrets`.
import { z } from 'zod';

export const directoryKinds = ['activeDirectory', 'ldap', 'entra'] as const;
export type DirectoryKind = (typeof directoryKinds)[number];
export const directoryKindLabel: Record<DirectoryKind, string> = {
  activeDirectory: 'Active Directory',
  ldap: 'LDAP',
  entra: 'Microsoft Entra ID',
};

const ldapUrl = z
  .string()
  .trim()
  .max(512)
  .regex(/^ldaps?:\/\/[^\s/]+(:\d+)?\/?$/i, 'Server URL must look like ldaps://host:636 or ldap://host:389');

const pem = z.string().max(64 * 1024);

/** Sign-in and Graph endpoints carry the credential and every answer: https only. */
const httpsUrl = z
  .string()
  .url()
  .max(512)
  .regex(/^https:\/\//i, 'The URL must start with https://');

export const userToggleSchema = z.object({
  import: z.boolean().default(false),
  create: z.boolean().default(false),
  edit: z.boolean().default(false),
  delete: z.boolean().default(false),
  passwordSync: z.boolean().default(false),
});
export const groupToggleSchema = z.object({
  import: z.boolean().default(false),
  create: z.boolean().default(false),
  delete: z.boolean().default(false),
  membership: z.boolean().default(false),
});
export const togglesSchema = z.object({
  users: userToggleSchema.default({ import: false, create: false, edit: false, delete: false, passwordSync: false }),
  groups: groupToggleSchema.default({ import: false, create: false, delete: false, membership: false }),
});
export type Toggles = z.infer<typeof togglesSchema>;

/**
 * Directory attributes a mapping row may not target, and why: passwords go
 * only through Password Sync (never a plain attribute write), account flags
 * only through *active*, and memberships, classes and service principals are
 * the app's own structured writes.
 */
const sensitiveAttributes: Record<string, string> = {
  unicodepwd: 'passwords are set only through Password Sync',
  userpassword: 'passwords are set only through Password Sync',
  passwordprofile: 'passwords are set only through Password Sync',
  useraccountcontrol: 'account flags are written only through the "active" attribute',
  serviceprincipalname: 'service principal names would let the account impersonate services',
  member: 'memberships are written only through group membership',
  uniquemember: 'memberships are written only through group membership',
  memberof: 'memberships are written only through group membership',
  objectclass: 'object classes are set by the directory kind when an object is created',
};

/** Why a mapping row may not be used, or undefined when it may. */
export function sensitiveMappingReason(row: { model: string; remote: string }): string | undefined {
  const remote = row.remote.trim().toLowerCase();
  if (remote === 'useraccountcontrol' && row.model === 'active') return undefined;
  const why = sensitiveAttributes[remote];
  return why && `"${row.remote}" cannot be mapped: ${why}.`;
}

/** One attribute mapping row: model attribute ↔ directory attribute. */
export const mappingRowSchema = z
  .object({
    /** Model attribute path, e.g. userName, name.givenName, emails.work, active. */
    model: z.string().min(1).max(128),
    /** Directory attribute, e.g. sAMAccountName, givenName, mail. */
    remote: z.string().min(1).max(128),
    direction: z.enum(['both', 'import', 'export']).default('both'),
  })
  .superRefine((row, ctx) => {
    const why = sensitiveMappingReason(row);
    if (why) ctx.addIssue({ code: 'custom', path: ['remote'], message: why });
  });
export type MappingRow = z.infer<typeof mappingRowSchema>;

export const safetySchema = z.object({
  /** Stop a run that deletes or disables more than this many objects. */
  deleteThresholdCount: z.number().int().min(0).max(10_000_000).default(500),
  /** Or more than this percentage of the linked objects. */
  deleteThresholdPercent: z.number().min(0).max(100).default(10),
  /** What "delete" means for users in this directory. */
  deprovision: z.enum(['disable', 'delete']).default('disable'),
});

/**
 * What a disabled user of another directory becomes here when this directory cannot write "disabled"
 * (generic LDAP without the password policy overlay, or with nothing that writes *active*).
 */
export const disabledUsersSchema = z.object({
  /** notCreated: left out, recorded as skipped with the reason; createdLocked: created, locked through lockAttribute. */
  whereNotWritable: z.enum(['notCreated', 'createdLocked']).default('notCreated'),
  /** The attribute that locks the account for createdLocked (written as *active* is); empty = pwdAccountLockedTime. */
  lockAttribute: z
    .string()
    .trim()
    .max(128)
    .regex(/^([A-Za-z][A-Za-z0-9-]*)?$/, 'An attribute name: letters, digits and hyphens, starting with a letter')
    .default(''),
});
export type DisabledUsers = z.infer<typeof disabledUsersSchema>;

/** When the directory imports on its own, and what a scheduled run may do without the admin. */
export const scheduleSchema = z.object({
  /** off; every N minutes; once a day at a local time. */
  mode: z.enum(['off', 'interval', 'daily']).default('off'),
  everyMinutes: z.number().int().min(5, 'At least every 5 minutes').max(10_080).default(60),
  dailyAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time such as 02:30')
    .default('02:00'),
  /** Scheduled runs read only the changes, and everything once this many days have passed (0: never forced). */
  fullReadEveryDays: z.number().int().min(0).max(365).default(7),
  /** 'safe': commit when there are no conflicts and the run stays under the deletion threshold; 'hold': always hold for review. */
  autoCommit: z.enum(['safe', 'hold']).default('safe'),
  /** Admin addresses mailed when a scheduled run is held, fails or is quarantined. */
  notify: z.array(z.string().trim().email('An e-mail address').max(320)).max(20).default([]),
});
export type Schedule = z.infer<typeof scheduleSchema>;
export const scheduleDefaults: Schedule = scheduleSchema.parse({});
/** A directory's schedule with every default filled in. */
export const scheduleOf = (config: { schedule?: Partial<Schedule> }): Schedule => ({
  ...scheduleDefaults,
  ...config.schedule,
});

const ldapConnectionSchema = z.object({
  urls: z.array(ldapUrl).min(1, 'At least one server URL is required').max(8),
  startTls: z.boolean().default(false),
  caCertPem: pem.optional(),
  /** Off only on the admin's explicit choice; shown as a warning. */
  verifyCertificate: z.boolean().default(true),
  /** Lets user passwords travel without TLS (a loopback lab only); off unless ticked, shown as a warning. */
  allowPlainPasswords: z.boolean().optional(),
  bindDn: z.string().trim().min(1, 'Bind DN or UPN is required').max(1024),
  baseDn: z.string().trim().min(1, 'Base DN is required').max(1024),
  userSearchBase: z.string().trim().max(1024).default(''),
  userFilter: z.string().trim().max(4096).default(''),
  groupSearchBase: z.string().trim().max(1024).default(''),
  groupFilter: z.string().trim().max(4096).default(''),
  scope: z.enum(['sub', 'one']).default('sub'),
  /** DNs (or DN suffixes) to leave out of imports. */
  exclusions: z.array(z.string().max(1024)).max(100).default([]),
  userTargetOu: z.string().trim().max(1024).default(''),
  groupTargetOu: z.string().trim().max(1024).default(''),
  /** RDN template for new users, e.g. "cn={displayName}" or "uid={userName}". */
  userRdnTemplate: z.string().trim().max(256).default(''),
  groupRdnTemplate: z.string().trim().max(256).default('cn={displayName}'),
  /** UPN suffix for new AD users, e.g. example.com. */
  upnSuffix: z.string().trim().max(256).default(''),
  pageSize: z.number().int().min(1).max(5000).default(500),
  timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
  connectTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
});
export type LdapConnection = z.infer<typeof ldapConnectionSchema>;

const entraConnectionSchema = z.object({
  tenantId: z.string().trim().min(1, 'Tenant ID is required').max(128),
  clientId: z.string().trim().min(1, 'Client (application) ID is required').max(128),
  credential: z.enum(['secret', 'certificate']).default('secret'),
  /** Public certificate (PEM) matching the private key kept as a secret. */
  certificatePem: pem.optional(),
  cloud: z.enum(['global', 'usGov', 'china', 'custom']).default('global'),
  /** For cloud = custom (and tests): authority host and Graph endpoint. */
  authorityUrl: httpsUrl.optional(),
  graphUrl: httpsUrl.optional(),
  upnDomain: z.string().trim().max(256).default(''),
  proxyUrl: z.string().url().max(512).optional().or(z.literal('')),
  caCertPem: pem.optional(),
  /** Mailbox used to send activation mail through Graph sendMail. */
  mailFrom: z.string().max(320).optional(),
  pageSize: z.number().int().min(1).max(999).default(999),
  timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
});
export type EntraConnection = z.infer<typeof entraConnectionSchema>;

const commonSchema = z.object({
  name: z.string().trim().min(1, 'Name is required').max(128),
  toggles: togglesSchema.default({
    users: { import: false, create: false, edit: false, delete: false, passwordSync: false },
    groups: { import: false, create: false, delete: false, membership: false },
  }),
  /** Empty means the kind's defaults. */
  userMapping: z.array(mappingRowSchema).max(100).default([]),
  groupMapping: z.array(mappingRowSchema).max(100).default([]),
  /** Model attributes tried in order to match an unlinked object. */
  matching: z
    .array(z.enum(['userName', 'email', 'employeeNumber', 'displayName']))
    .max(4)
    .default(['userName', 'email']),
  safety: safetySchema.default({ deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable' }),
  /** Absent (configs saved before this choice existed) = not created. */
  disabledUsers: disabledUsersSchema.optional(),
  /** Absent: no schedule (configs saved before schedules existed). Read it through scheduleOf. */
  schedule: scheduleSchema.optional(),
});

export const directoryConfigSchema = z.discriminatedUnion('kind', [
  commonSchema.extend({ kind: z.literal('activeDirectory'), connection: ldapConnectionSchema }),
  commonSchema.extend({ kind: z.literal('ldap'), connection: ldapConnectionSchema }),
  commonSchema.extend({ kind: z.literal('entra'), connection: entraConnectionSchema }),
]);
export type DirectoryConfig = z.infer<typeof directoryConfigSchema>;

/**
 * Which server a saved secret may be sent to, and how: the fields that say
 * where it goes (URLs, StartTLS, certificate checking, CA, bind DN; tenant,
 * client, cloud endpoints, proxy). When any of them differs from the saved
 * directory, the saved secret is not used and must be typed again, so a form
 * pointed at another host can never receive it.
 */
export function secretEndpoint(config: DirectoryConfig): string {
  const t = (s: string | undefined) => (s ?? '').trim();
  if (config.kind === 'entra') {
    const c = config.connection;
    return JSON.stringify([
      config.kind,
      t(c.tenantId).toLowerCase(),
      t(c.clientId).toLowerCase(),
      c.cloud,
      c.cloud === 'custom' ? t(c.authorityUrl).replace(/\/+$/, '').toLowerCase() : '',
      c.cloud === 'custom' ? t(c.graphUrl).replace(/\/+$/, '').toLowerCase() : '',
      t(c.proxyUrl),
      t(c.caCertPem),
    ]);
  }
  const c = config.connection;
  return JSON.stringify([
    config.kind,
    c.urls.map((u) => t(u).replace(/\/+$/, '').toLowerCase()),
    c.startTls,
    c.verifyCertificate,
    t(c.caCertPem),
    t(c.bindDn).toLowerCase(),
  ]);
}

/** Secrets that may be sent inward; undefined leaves the stored one alone. */
export const directorySecretsSchema = z
  .object({
    bindPassword: z.string().max(1024).optional(),
    clientSecret: z.string().max(4096).optional(),
    certificateKeyPem: pem.optional(),
  })
  .default({});
export type DirectorySecrets = z.infer<typeof directorySecretsSchema>;

/** What the renderer sees of a directory. */
export interface DirectoryView {
  id: string;
  config: DirectoryConfig;
  hasSecret: boolean;
  created: string;
  lastModified: string;
  lastVerify?: { at: string; ok: boolean; summary: string };
  lastRun?: { at: string; kind: string; status: string };
  pending: number;
  failed: number;
}
