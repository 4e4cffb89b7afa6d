// Attribute mapping between LDAP entries and the SCIM-shaped model: the
// per-kind default rows (model paths from mapping/model-paths.ts), the
// admin's rows replacing them, reading an entry into RemoteUserData and
// writing RemoteUserData (or the difference of two) back as attributes.
//
// Special attributes:
// - active ↔ userAccountControl (AD): bit 0x2 ACCOUNTDISABLE, other bits kept;
//   ↔ pwdAccountLockedTime (OpenLDAP ppolicy): present = disabled;
//   ↔ nsAccountLock (389 DS): TRUE = disabled; any other attribute: TRUE/FALSE.
// - manager ↔ manager: the manager's DN is carried as managerRef as it is.
import type { MappingRow } from '../../../src-preload/directory.ts';
import { emptyUser, getPath, setPath, type ModelValue } from '../../mapping/model-paths.ts';
import type { RemoteGroupData, RemoteUserData } from '../connector.ts';

export type { LdapKind } from './defaults.ts';

/** An entry as ldapts returns it: dn plus attributes (scalar, array or Buffer). */
export type LdapEntry = { dn: string } & Record<string, unknown>;

export const UAC_ACCOUNTDISABLE = 0x2;
export const UAC_NORMAL_ACCOUNT = 0x200;
/** pwdAccountLockedTime value meaning "locked until an admin unlocks" (ppolicy). */
export const PERMANENT_LOCK = '000001010000Z';

export { defaultGroupMapping, defaultUserMapping } from './defaults.ts';

/**
 * The mapping in force: the admin's rows when there are any (the form is
 * prefilled with the defaults, so a saved list is complete), else the kind's
 * defaults. Rows whose remote attribute is not a valid LDAP attribute name
 * are dropped so nothing odd reaches a request.
 */
export function effectiveMapping(configured: MappingRow[], defaults: MappingRow[]): MappingRow[] {
  const rows = configured.length > 0 ? configured : defaults;
  return rows.filter((r) => /^[A-Za-z][A-Za-z0-9-]*$/.test(r.remote));
}

const reads = (r: MappingRow) => r.direction !== 'export';
const writes = (r: MappingRow) => r.direction !== 'import';

// ---------------------------------------------------------------------------
// Entry access (attribute names are case-insensitive)

/** Lower-cased attribute name → values as strings (Buffers decoded as UTF-8). */
export type AttrMap = Map<string, string[]>;

export function attrMap(entry: LdapEntry): AttrMap {
  const m: AttrMap = new Map();
  for (const k in entry) {
    if (k === 'dn') continue;
    const v = entry[k];
    const key = k.toLowerCase();
    let list = m.get(key);
    if (!list) {
      list = [];
      m.set(key, list);
    }
    if (Array.isArray(v)) {
      for (const x of v)
        if (x !== undefined && x !== null) list.push(Buffer.isBuffer(x) ? x.toString('utf8') : String(x));
    } else if (v !== undefined && v !== null) {
      list.push(Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    }
  }
  return m;
}

/** The raw value(s) of one attribute, Buffers kept (for objectGUID). */
export function rawValues(entry: LdapEntry, name: string): unknown[] {
  const lname = name.toLowerCase();
  // for…in, not Object.entries: this runs for every entry of a listing (anchors) and builds no pairs.
  for (const k in entry) {
    if (k.toLowerCase() !== lname) continue;
    const v = entry[k];
    return Array.isArray(v) ? v : [v];
  }
  return [];
}

export function values(m: AttrMap, name: string): string[] {
  return m.get(name.toLowerCase()) ?? [];
}
export function first(m: AttrMap, name: string): string | undefined {
  return values(m, name)[0];
}

// ---------------------------------------------------------------------------
// active

/** Reads `active` from the entry by the attribute it is mapped to. */
export function readActive(m: AttrMap, remote: string): boolean {
  const v = first(m, remote);
  switch (remote.toLowerCase()) {
    case 'useraccountcontrol':
      return v === undefined ? true : (Number(v) & UAC_ACCOUNTDISABLE) === 0;
    case 'pwdaccountlockedtime':
      return v === undefined;
    case 'nsaccountlock':
      return v === undefined || v.toLowerCase() !== 'true';
    default:
      return v === undefined || !/^(false|0|no|disabled)$/i.test(v);
  }
}

/**
 * The values to write for `active` (undefined = delete the attribute).
 * `currentUac` is the entry's userAccountControl when the attribute is that.
 */
export function writeActive(remote: string, active: boolean, currentUac?: number): string[] | undefined {
  switch (remote.toLowerCase()) {
    case 'useraccountcontrol': {
      const uac = currentUac ?? UAC_NORMAL_ACCOUNT;
      return [String(active ? uac & ~UAC_ACCOUNTDISABLE : uac | UAC_ACCOUNTDISABLE)];
    }
    case 'pwdaccountlockedtime':
      return active ? undefined : [PERMANENT_LOCK];
    case 'nsaccountlock':
      return active ? undefined : ['TRUE'];
    default:
      return [active ? 'TRUE' : 'FALSE'];
  }
}

// ---------------------------------------------------------------------------
// Users

/** Remote attributes to request for users (the mapping's, deduplicated). */
export function userReadAttributes(rows: MappingRow[]): string[] {
  const out = new Map<string, string>();
  for (const r of rows) if (reads(r)) out.set(r.remote.toLowerCase(), r.remote);
  return [...out.values()];
}

/** Entry → model data by the mapping. userName falls back to the RDN value. */
export function entryToUserData(m: AttrMap, rows: MappingRow[], fallbackUserName: string): RemoteUserData {
  const u = emptyUser();
  for (const r of rows) {
    if (!reads(r)) continue;
    if (r.model === 'active') {
      u.active = readActive(m, r.remote);
      continue;
    }
    const vals = values(m, r.remote);
    if (vals.length === 0) continue;
    const value: ModelValue = r.model === 'emails' ? vals : vals[0];
    setPath(u, r.model, value);
  }
  if (!u.userName) u.userName = fallbackUserName;
  // Drop empty name parts so equal users compare equal.
  u.name = Object.fromEntries(
    Object.entries(u.name).filter(([, v]) => v !== undefined && v !== ''),
  ) as RemoteUserData['name'];
  return u;
}

function toValues(v: ModelValue): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== '');
  if (typeof v === 'boolean') return [v ? 'TRUE' : 'FALSE'];
  return v === '' ? [] : [v];
}

/**
 * Model data → attributes for a new entry (empty values left out). `active`
 * is not included: creation handles it (AD creates disabled, then enables).
 */
export function userDataToAttributes(u: RemoteUserData, rows: MappingRow[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    if (!writes(r) || r.model === 'active') continue;
    const vals = toValues(getPath(u, r.model));
    if (vals.length === 0) continue;
    const key = [...out.keys()].find((k) => k.toLowerCase() === r.remote.toLowerCase()) ?? r.remote;
    out.set(key, [...new Set([...(out.get(key) ?? []), ...vals])]);
  }
  return out;
}

export interface AttributeChange {
  attribute: string;
  /** New values; empty = delete the attribute. */
  values: string[];
}

/** The attributes whose mapped model value differs between before and after (active excluded). */
export function diffUserAttributes(
  before: RemoteUserData,
  after: RemoteUserData,
  rows: MappingRow[],
): AttributeChange[] {
  const changes = new Map<string, AttributeChange>();
  for (const r of rows) {
    if (!writes(r) || r.model === 'active') continue;
    const a = toValues(getPath(before, r.model));
    const b = toValues(getPath(after, r.model));
    if (a.length === b.length && a.every((x, i) => x === b[i])) continue;
    changes.set(r.remote.toLowerCase(), { attribute: r.remote, values: b });
  }
  return [...changes.values()];
}

/** The row `active` is mapped to, if any. */
export function activeRow(rows: MappingRow[]): MappingRow | undefined {
  return rows.find((r) => r.model === 'active');
}

// ---------------------------------------------------------------------------
// Groups

export function groupReadAttributes(rows: MappingRow[]): string[] {
  return userReadAttributes(rows);
}

export function entryToGroupData(m: AttrMap, rows: MappingRow[], fallbackName: string): RemoteGroupData {
  const g: RemoteGroupData = { displayName: '' };
  for (const r of rows) {
    if (!reads(r)) continue;
    const v = first(m, r.remote);
    if (v === undefined) continue;
    if (r.model === 'displayName' && !g.displayName) g.displayName = v;
    else if (r.model === 'description') g.description = v;
  }
  if (!g.displayName) g.displayName = fallbackName;
  return g;
}

export function groupDataToAttributes(g: RemoteGroupData, rows: MappingRow[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) {
    if (!writes(r)) continue;
    const v = r.model === 'displayName' ? g.displayName : r.model === 'description' ? g.description : undefined;
    if (v) out.set(r.remote, [v]);
  }
  return out;
}
