// What the sync engine compares and copies: the model paths a directory's
// mapping reads (import) or writes (export), local users as the connector's
// RemoteUserData, per-attribute diffs.
import type { DirectoryConfig, MappingRow } from '../../src-preload/directory.ts';
import { userInputSchema, type User, type UserInput } from '../../src-preload/model.ts';
import type { RemoteUserData } from '../connectors/connector.ts';
import { defaultsFor } from '../connectors/defaults.ts';
import { emptyUser, getPath, setPath, userModelPaths, type ModelValue } from '../mapping/model-paths.ts';

export function userMapping(config: DirectoryConfig): MappingRow[] {
  return config.userMapping.length > 0 ? config.userMapping : defaultsFor(config.kind).userMapping;
}

/** The directory's group mapping, or its kind's defaults when it has none. */
export function groupMapping(config: DirectoryConfig): MappingRow[] {
  return config.groupMapping.length > 0 ? config.groupMapping : defaultsFor(config.kind).groupMapping;
}

const known = new Set<string>(userModelPaths);

function paths(config: DirectoryConfig, dir: 'import' | 'export'): string[] {
  const rows = userMapping(config).filter((r) => r.direction === 'both' || r.direction === dir);
  const out = [...new Set(rows.map((r) => r.model).filter((p) => known.has(p)))];
  // Fallback when a kind has no mapping yet: the attributes every directory holds.
  return out.length > 0 ? out : ['userName', 'displayName', 'name.givenName', 'name.familyName', 'emails.work'];
}

/** Model paths read from the directory on import. */
export const importPaths = (config: DirectoryConfig) => paths(config, 'import');
/** Model paths written to the directory on provisioning. */
export const exportPaths = (config: DirectoryConfig) => paths(config, 'export');

/** A local user as a connector takes it; managerRef is the manager's ref in that directory. */
export function toRemoteData(u: UserInput | User, managerRef?: string): RemoteUserData {
  return {
    userName: u.userName,
    name: { ...u.name },
    displayName: u.displayName,
    emails: u.emails.map((e) => ({ ...e })),
    phoneNumbers: u.phoneNumbers.map((p) => ({ ...p })),
    title: u.title,
    department: u.department,
    employeeNumber: u.employeeNumber,
    active: u.active,
    managerRef,
  };
}

/** Normalised for comparison: undefined, '' and [] are the same "no value". */
export function norm(v: ModelValue): string | string[] | boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (Array.isArray(v)) {
    const a = v.filter((x) => x !== '' && x !== undefined);
    return a.length === 0 ? undefined : a.length === 1 ? a[0] : a;
  }
  return v;
}

function same(a: ModelValue, b: ModelValue, path: string): boolean {
  const x = norm(a);
  const y = norm(b);
  if (x === undefined || y === undefined) return x === y;
  if (path === 'manager') return String(x).toLowerCase() === String(y).toLowerCase();
  if (Array.isArray(x) || Array.isArray(y)) {
    const xa = Array.isArray(x) ? x : [x];
    const ya = Array.isArray(y) ? y : [y];
    return xa.length === ya.length && xa.every((v, i) => v === ya[i]);
  }
  return x === y;
}

/** path → [old (local), new (remote)] for every mapped path that differs. */
export function diff(
  local: RemoteUserData,
  remote: RemoteUserData,
  onPaths: string[],
): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const p of onPaths) {
    const a = getPath(local, p);
    const b = getPath(remote, p);
    if (!same(a, b, p)) out[p] = [norm(a) ?? null, norm(b) ?? null];
  }
  return out;
}

/**
 * Copies the mapped paths of `remote` onto `base` (a local user, or an empty
 * one for a create). Returns the user input, validated, or the problems.
 */
export function applyRemote(
  base: RemoteUserData | undefined,
  remote: RemoteUserData,
  onPaths: string[],
): { ok: true; input: UserInput; managerRef?: string } | { ok: false; problems: string[] } {
  const u: RemoteUserData = base ? structuredClone(base) : emptyUser(remote.userName);
  for (const p of onPaths) setPath(u, p, getPath(remote, p));
  if (!onPaths.includes('active') && !base) u.active = remote.active ?? true;
  const { managerRef, ...rest } = u;
  const parsed = userInputSchema.safeParse(rest);
  if (!parsed.success)
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || 'user'}: ${i.message}`) };
  return { ok: true, input: parsed.data, managerRef };
}

/** What the admin sees of a user on a row. */
export function userLabel(u: { userName: string; displayName?: string }): string {
  return u.displayName ? `${u.displayName} (${u.userName})` : u.userName;
}
