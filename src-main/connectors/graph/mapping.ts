// Mapping between Graph users/groups and the SCIM-shaped model. Rows are the
// admin's (config.userMapping / groupMapping); empty means these defaults.
// A row names a model path (src-main/mapping/model-paths.ts) and a Graph
// property; a few properties get a conversion:
// - userPrincipalName: a value without "@" gets "@" + the default UPN domain;
// - mailNickname: the local part of the value, cut to the characters Graph allows;
// - businessPhones (and other collections): one value ↔ a one-element array;
// - accountEnabled: boolean;
// - manager: a navigation property, read with $expand=manager($select=id) and
//   written with PUT/DELETE /users/{id}/manager/$ref (never in the PATCH body).
import type { MappingRow } from '../../../src-preload/directory.ts';
import type {
  RemoteGroup,
  RemoteGroupChanges,
  RemoteGroupData,
  RemoteMemberRef,
  RemoteUser,
  RemoteUserData,
} from '../connector.ts';
import { emptyUser, getPath, setPath, type ModelValue } from '../../mapping/model-paths.ts';

export { defaultGroupMapping, defaultUserMapping } from './defaults.ts';
import { defaultGroupMapping, defaultUserMapping } from './defaults.ts';

/** Graph user properties that are collections of strings. */
const COLLECTIONS = new Set(['businessPhones', 'otherMails', 'imAddresses', 'proxyAddresses']);
const BOOLEANS = new Set(['accountEnabled']);
/** Never written (read-only or set by Graph itself). */
const READ_ONLY = new Set(['id', 'proxyAddresses', 'createdDateTime', 'mail@readonly']);

export interface UserMapper {
  rows: MappingRow[];
  /** Graph properties to $select when reading users (id always). */
  select: string[];
  /** Whether manager is mapped for reading ($expand). */
  expandManager: boolean;
  fromGraph(g: Record<string, unknown>): RemoteUser;
  /** Body of POST /users (without passwordProfile; manager left out). */
  toCreateBody(data: RemoteUserData): Record<string, unknown>;
  /** Properties whose value differs between before and after (PATCH body) and the manager change, if any. */
  diff(
    before: RemoteUserData,
    after: RemoteUserData,
  ): { patch: Record<string, unknown>; manager?: { set: string } | { remove: true } };
  /** The Graph value of one user for a property (for $filter in findUser). */
  remoteValue(data: RemoteUserData, remote: string): unknown;
  /** The mapped Graph property for a model path (writes), if any. */
  remoteFor(model: string): string | undefined;
}

const reads = (r: MappingRow): boolean => r.direction !== 'export';
const writes = (r: MappingRow): boolean => r.direction !== 'import';

/** Characters Graph refuses in mailNickname, and its length limit. */
export function toMailNickname(value: string): string {
  const local = value.split('@')[0] ?? '';
  const cleaned = local
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g, '')
    .replace(/^\.+|\.+$/g, '')
    .replace(/\.{2,}/g, '.')
    .slice(0, 64);
  return cleaned || 'user';
}

export function toUpn(value: string, upnDomain: string): string {
  const v = value.trim();
  if (v.includes('@') || !upnDomain) return v;
  return `${v}@${upnDomain.replace(/^@/, '')}`;
}

function toRemote(remote: string, value: ModelValue, upnDomain: string): unknown {
  if (BOOLEANS.has(remote))
    return typeof value === 'boolean' ? value : value === undefined ? undefined : String(value) !== 'false';
  if (COLLECTIONS.has(remote)) {
    if (value === undefined || value === '') return [];
    return Array.isArray(value) ? value.filter(Boolean) : [String(value)];
  }
  const s = Array.isArray(value) ? value[0] : typeof value === 'boolean' ? String(value) : value;
  if (s === undefined || s === '') return null;
  if (remote === 'userPrincipalName') return toUpn(s, upnDomain);
  if (remote === 'mailNickname') return toMailNickname(s);
  return s;
}

function fromRemote(remote: string, raw: unknown): ModelValue {
  if (raw === null || raw === undefined) return undefined;
  if (BOOLEANS.has(remote)) return raw === true || raw === 'true';
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'object') return undefined;
  return String(raw);
}

const sameRemote = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function createUserMapper(rows: readonly MappingRow[] | undefined, upnDomain: string): UserMapper {
  const effective = rows && rows.length > 0 ? [...rows] : defaultUserMapping();
  const readRows = effective.filter(reads);
  const writeRows = effective.filter((r) => writes(r) && !READ_ONLY.has(r.remote));
  const select = [...new Set(['id', ...readRows.filter((r) => r.remote !== 'manager').map((r) => r.remote)])];
  const expandManager = readRows.some((r) => r.remote === 'manager');

  const build = (data: RemoteUserData): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const r of writeRows) {
      if (r.remote === 'manager') continue;
      const v = toRemote(r.remote, getPath(data, r.model), upnDomain);
      // When two rows write one property (rare), the first non-empty wins.
      if (
        out[r.remote] === undefined ||
        out[r.remote] === null ||
        (Array.isArray(out[r.remote]) && (out[r.remote] as unknown[]).length === 0)
      ) {
        out[r.remote] = v;
      }
    }
    return out;
  };

  const managerRow = writeRows.find((r) => r.remote === 'manager');

  return {
    rows: effective,
    select,
    expandManager,
    fromGraph(g) {
      const data = emptyUser();
      for (const r of readRows) {
        if (r.remote === 'manager') {
          const m = g.manager as { id?: string } | null | undefined;
          if (m?.id) setPath(data, r.model, m.id);
          continue;
        }
        const v = fromRemote(r.remote, g[r.remote]);
        if (v === undefined) continue;
        setPath(data, r.model, v);
      }
      const id = String(g.id ?? '');
      return { anchor: id, ref: id, data };
    },
    toCreateBody(data) {
      const body = build(data);
      for (const [k, v] of Object.entries(body)) {
        if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) delete body[k];
      }
      const upn = typeof body.userPrincipalName === 'string' ? body.userPrincipalName : toUpn(data.userName, upnDomain);
      body.userPrincipalName = upn;
      if (typeof body.mailNickname !== 'string') body.mailNickname = toMailNickname(upn);
      if (typeof body.displayName !== 'string') {
        const n = [data.name?.givenName, data.name?.familyName].filter(Boolean).join(' ');
        body.displayName = data.displayName || n || upn.split('@')[0] || upn;
      }
      if (typeof body.accountEnabled !== 'boolean') body.accountEnabled = data.active;
      return body;
    },
    diff(before, after) {
      const a = build(before);
      const b = build(after);
      const patch: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(b)) {
        if (k === 'mailNickname' && (v === null || v === undefined)) continue; // required: never cleared
        if (!sameRemote(a[k], v)) patch[k] = v;
      }
      let manager: { set: string } | { remove: true } | undefined;
      if (managerRow) {
        const m0 = getPath(before, managerRow.model);
        const m1 = getPath(after, managerRow.model);
        if ((m0 ?? '') !== (m1 ?? '')) manager = m1 && typeof m1 === 'string' ? { set: m1 } : { remove: true };
      }
      return { patch, manager };
    },
    remoteValue(data, remote) {
      const row = writeRows.find((r) => r.remote === remote) ?? readRows.find((r) => r.remote === remote);
      if (!row) return undefined;
      return toRemote(remote, getPath(data, row.model), upnDomain);
    },
    remoteFor(model) {
      return effective.find((r) => r.model === model)?.remote;
    },
  };
}

export interface GroupMapper {
  rows: MappingRow[];
  select: string[];
  fromGraph(g: Record<string, unknown>, members: RemoteMemberRef[]): RemoteGroup;
  toCreateBody(data: RemoteGroupData): Record<string, unknown>;
  /**
   * The PATCH body that brings a group (as Graph returned it, mailNickname
   * included) to the changes: only what differs; a cleared description is
   * null. mailNickname follows a new name when it was derived from the old
   * one the way a create derives it (an admin's own alias is kept).
   */
  toPatchBody(current: Record<string, unknown>, changes: RemoteGroupChanges): Record<string, unknown>;
  /** The Graph property holding displayName (for $filter in findGroup). */
  nameProperty: string;
}

function getGroupPath(d: RemoteGroupData, model: string): string | undefined {
  return model === 'displayName' ? d.displayName : model === 'description' ? d.description : undefined;
}

/** The mailNickname a group gets from its name (spaces as dashes, then mailNickname's rules); '' when nothing is left. */
export function groupMailNickname(displayName: string): string {
  const nick = toMailNickname(displayName.replace(/\s+/g, '-'));
  // toMailNickname's last resort ('user') is not a name for a group.
  return nick === 'user' && !/user/i.test(displayName) ? '' : nick;
}

export function createGroupMapper(rows: readonly MappingRow[] | undefined): GroupMapper {
  const effective = rows && rows.length > 0 ? [...rows] : defaultGroupMapping();
  const readRows = effective.filter(reads);
  const writeRows = effective.filter(writes);
  const nameProperty = effective.find((r) => r.model === 'displayName')?.remote ?? 'displayName';
  return {
    rows: effective,
    select: [...new Set(['id', 'displayName', ...readRows.map((r) => r.remote)])],
    nameProperty,
    fromGraph(g, members) {
      const data: RemoteGroupData = { displayName: String(g.displayName ?? '') };
      for (const r of readRows) {
        const v = g[r.remote];
        if (typeof v !== 'string' || v === '') continue;
        if (r.model === 'displayName') data.displayName = v;
        if (r.model === 'description') data.description = v;
      }
      const id = String(g.id ?? '');
      return { anchor: id, ref: id, data, members };
    },
    toCreateBody(data) {
      const body: Record<string, unknown> = {};
      for (const r of writeRows) {
        const v = getGroupPath(data, r.model);
        if (v !== undefined && v !== '' && body[r.remote] === undefined) body[r.remote] = v;
      }
      if (typeof body.displayName !== 'string') body.displayName = data.displayName;
      // A security group: not mail-enabled; mailNickname is still required.
      body.mailEnabled = false;
      body.securityEnabled = true;
      if (typeof body.mailNickname !== 'string')
        body.mailNickname = toMailNickname(data.displayName.replace(/\s+/g, '-'));
      return body;
    },
    toPatchBody(current, changes) {
      const now = this.fromGraph(current, []).data;
      const next: RemoteGroupData = {
        displayName: changes.displayName?.trim() || now.displayName,
        description: changes.description === undefined ? now.description : changes.description || undefined,
      };
      const patch: Record<string, unknown> = {};
      for (const r of writeRows) {
        const was = getGroupPath(now, r.model) ?? '';
        const v = getGroupPath(next, r.model) ?? '';
        if (was === v || patch[r.remote] !== undefined) continue;
        if (r.remote === 'mailNickname') {
          if (v) patch.mailNickname = toMailNickname(v); // required: never cleared
        } else if (r.model === 'displayName') {
          if (v) patch[r.remote] = v;
        } else patch[r.remote] = v || null;
      }
      if (next.displayName !== now.displayName && !writeRows.some((r) => r.remote === 'mailNickname')) {
        const nick = typeof current.mailNickname === 'string' ? current.mailNickname : '';
        const derived = groupMailNickname(next.displayName);
        if (nick && nick === groupMailNickname(now.displayName) && derived && derived !== nick)
          patch.mailNickname = derived;
      }
      return patch;
    },
  };
}

/** A Graph member (directoryObject) → a member reference. */
export function toMemberRef(o: Record<string, unknown>): RemoteMemberRef {
  const t = String(o['@odata.type'] ?? '');
  return {
    ref: String(o.id ?? ''),
    ...(t.endsWith('.user') ? { type: 'User' as const } : t.endsWith('.group') ? { type: 'Group' as const } : {}),
  };
}
