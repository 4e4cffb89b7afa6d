// The directory form's state: a DirectoryConfig being edited, plus the
// helpers that turn it into what directories.save accepts.
import type { DirectoryConfig, DirectoryKind, DirectorySecrets, MappingRow } from '../../../src-preload/contract.ts';

/** Loose while editing: the bridge validates on save and answers per field. */
export type FormConfig = DirectoryConfig;

export const blankToggles: DirectoryConfig['toggles'] = {
  users: { import: false, create: false, edit: false, delete: false, passwordSync: false },
  groups: { import: false, create: false, delete: false, membership: false },
};

export function blankConfig(kind: DirectoryKind, connectionDefaults: Record<string, unknown> = {}): FormConfig {
  const common = {
    name: '',
    toggles: structuredClone(blankToggles),
    userMapping: [] as MappingRow[],
    groupMapping: [] as MappingRow[],
    matching: ['userName', 'email'] as DirectoryConfig['matching'],
    safety: { deleteThresholdCount: 500, deleteThresholdPercent: 10, deprovision: 'disable' as const },
  };
  if (kind === 'entra') {
    return {
      ...common,
      kind,
      connection: {
        tenantId: '',
        clientId: '',
        credential: 'secret',
        cloud: 'global',
        upnDomain: '',
        proxyUrl: '',
        pageSize: 999,
        timeoutMs: 30_000,
        ...connectionDefaults,
      },
    } as FormConfig;
  }
  return {
    ...common,
    kind,
    connection: {
      urls: [kind === 'activeDirectory' ? 'ldaps://' : 'ldap://'],
      startTls: false,
      verifyCertificate: true,
      caCertPem: '',
      bindDn: '',
      baseDn: '',
      userSearchBase: '',
      userFilter: '',
      groupSearchBase: '',
      groupFilter: '',
      scope: 'sub',
      exclusions: [],
      userTargetOu: '',
      groupTargetOu: '',
      userRdnTemplate: kind === 'activeDirectory' ? 'cn={displayName}' : 'uid={userName}',
      groupRdnTemplate: 'cn={displayName}',
      upnSuffix: '',
      pageSize: 500,
      timeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      ...connectionDefaults,
    },
  } as FormConfig;
}

/** Reads a dotted path ("connection.bindDn") of the form. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Immutable set of a dotted path. */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base = (obj ?? {}) as Record<string, unknown>;
  return { ...base, [head!]: rest.length ? setPath(base[head!], rest.join('.'), value) : value } as T;
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** What is sent to directories.save / verify: blank optional fields left out, lists cleaned. */
export function toSaveConfig(form: FormConfig, mappingEdited: { users: boolean; groups: boolean }): DirectoryConfig {
  const c = structuredClone(form) as DirectoryConfig;
  if (!mappingEdited.users) c.userMapping = [];
  if (!mappingEdited.groups) c.groupMapping = [];
  if (c.kind === 'entra') {
    const conn = c.connection as Record<string, unknown>;
    for (const k of ['certificatePem', 'authorityUrl', 'graphUrl', 'caCertPem', 'mailFrom'])
      conn[k] = emptyToUndefined(conn[k]);
    if (c.connection.credential === 'secret') delete conn.certificatePem;
    if (c.connection.cloud !== 'custom') {
      delete conn.authorityUrl;
      delete conn.graphUrl;
    }
  } else {
    c.connection.urls = c.connection.urls.map((u) => u.trim()).filter(Boolean);
    c.connection.exclusions = c.connection.exclusions.map((u) => u.trim()).filter(Boolean);
    (c.connection as Record<string, unknown>).caCertPem = emptyToUndefined(c.connection.caCertPem);
  }
  return c;
}

export function cleanSecrets(s: DirectorySecrets): DirectorySecrets {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => typeof v === 'string' && v !== '')) as DirectorySecrets;
}

export const matchingLabels: Record<DirectoryConfig['matching'][number], string> = {
  userName: 'User name',
  email: 'E-mail',
  employeeNumber: 'Employee number',
  displayName: 'Display name',
};

/**
 * The row that writes *active* which the engine adds for generic LDAP when the mapping has none:
 * the "created locked" choice's attribute, else the password policy lock (pwdAccountLockedTime).
 * Shown in the form so that nothing the engine writes is hidden.
 */
export function engineActiveRow(
  form: FormConfig,
  userRows: MappingRow[],
): { row: MappingRow; why: string } | undefined {
  if (form.kind !== 'ldap' || userRows.some((r) => r.model === 'active')) return undefined;
  const d = form.disabledUsers;
  if (d?.whereNotWritable === 'createdLocked' && d.lockAttribute.trim())
    return {
      row: { model: 'active', remote: d.lockAttribute.trim(), direction: 'both' },
      why: 'Added by Provision Desk: the lock attribute chosen for disabled users below.',
    };
  return {
    row: { model: 'active', remote: 'pwdAccountLockedTime', direction: 'both' },
    why: 'Added by Provision Desk: the password policy (ppolicy) lock. Add an "active" row to use another attribute.',
  };
}
