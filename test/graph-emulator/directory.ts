// The emulated tenant's directory: users, groups, memberships, soft-deleted items and the change
// journal that delta queries read. Pure in-memory state; every mutation bumps a version number.
import { randomUUID } from 'node:crypto';
import { GraphError, badRequest, notFound } from './errors.ts';
import { GROUP_PROPS, USER_PROPS } from './model.ts';
import type { GraphGroup, GraphUser, ObjectKind, PropSpec } from './model.ts';

export interface UserRecord {
  kind: 'user';
  data: GraphUser;
  seq: number;
  ver: number;
  managerId: string | null;
  gone?: boolean;
}

export interface GroupRecord {
  kind: 'group';
  data: GraphGroup;
  seq: number;
  ver: number;
  members: Set<string>;
  gone?: boolean;
}

export type DirRecord = UserRecord | GroupRecord;

export interface Tombstone {
  id: string;
  kind: ObjectKind;
  seq: number;
  ver: number;
  reason: 'changed' | 'deleted';
}

export interface MemberChange {
  ver: number;
  groupId: string;
  memberId: string;
  memberKind: ObjectKind;
  removed: boolean;
}

/** Records kept in creation order (seq ascending) with cheap "everything after seq N" scans. */
export class OrderedIndex<T extends { seq: number; gone?: boolean }> {
  items: T[] = [];
  private goneCount = 0;
  push(item: T): void {
    this.items.push(item);
  }
  markGone(item: T): void {
    item.gone = true;
    this.goneCount++;
    if (this.goneCount > 256 && this.goneCount * 2 > this.items.length) {
      this.items = this.items.filter((i) => !i.gone);
      this.goneCount = 0;
    }
  }
  /** index of the first item whose seq is greater than `after` */
  startAfter(after: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.items[mid]?.seq ?? Infinity) <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  *after(after: number): Generator<T> {
    for (let i = this.startAfter(after); i < this.items.length; i++) {
      const item = this.items[i];
      if (item && !item.gone) yield item;
    }
  }
}

const PASSWORD_MESSAGE =
  'The specified password does not comply with password complexity requirements. Please provide a different password.';

export function passwordIsComplex(pw: string): boolean {
  if (pw.length < 8 || pw.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
  return classes >= 3;
}

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function invalidValue(prop: string, resource: string): GraphError {
  return badRequest(`Invalid value specified for property '${prop}' of resource '${resource}'.`);
}

function sidFromGuid(id: string): string {
  const b = Buffer.from(id.replace(/-/g, ''), 'hex');
  // GUID string to its little-endian byte order, then four uint32 as Entra's cloud SIDs are built.
  const le = Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
  return `S-1-12-1-${le.readUInt32LE(0)}-${le.readUInt32LE(4)}-${le.readUInt32LE(8)}-${le.readUInt32LE(12)}`;
}

export interface PasswordEvent {
  userId: string;
  forceChangePasswordNextSignIn: boolean;
  source: 'create' | 'update';
}

export class Directory {
  version = 0;
  private seqCounter = 0;
  readonly verifiedDomains: string[];
  readonly defaultDomain: string;
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly userOrder = new OrderedIndex<UserRecord>();
  readonly groupOrder = new OrderedIndex<GroupRecord>();
  private readonly upnIndex = new Map<string, string>();
  readonly deletedUsers = new Map<string, UserRecord>();
  readonly deletedGroups = new Map<string, GroupRecord>();
  readonly tombstones = new Map<string, Tombstone>();
  /** append-only, ver ascending */
  readonly memberLog: MemberChange[] = [];
  /** group ids each object is a direct member of */
  private readonly memberOfIndex = new Map<string, Set<string>>();
  onPassword: (e: PasswordEvent) => void = () => {};

  constructor(verifiedDomains: string[]) {
    this.verifiedDomains = verifiedDomains.map((d) => d.toLowerCase());
    this.defaultDomain = this.verifiedDomains[0] ?? 'contoso.test';
  }

  private bump(): number {
    return ++this.version;
  }

  // ---------- lookups ----------

  /** A user by object id or userPrincipalName (case-insensitive). */
  findUser(idOrUpn: string): UserRecord | undefined {
    const byId = this.users.get(idOrUpn.toLowerCase()) ?? this.users.get(idOrUpn);
    if (byId) return byId;
    const id = this.upnIndex.get(idOrUpn.toLowerCase());
    return id ? this.users.get(id) : undefined;
  }

  getUser(idOrUpn: string): UserRecord {
    const u = this.findUser(idOrUpn);
    if (!u) throw notFound(idOrUpn);
    return u;
  }

  getGroup(id: string): GroupRecord {
    const g = this.groups.get(id.toLowerCase());
    if (!g) throw notFound(id);
    return g;
  }

  findObject(id: string): DirRecord | undefined {
    const key = id.toLowerCase();
    return this.users.get(key) ?? this.groups.get(key);
  }

  memberOf(id: string): string[] {
    return [...(this.memberOfIndex.get(id) ?? [])];
  }

  // ---------- validation ----------

  private checkType(resource: string, props: Record<string, PropSpec>, name: string, value: unknown): void {
    const spec = props[name];
    if (!spec) {
      throw badRequest(`Property '${name}' does not exist as a declared property or extension property.`);
    }
    if (spec.readOnly) {
      throw badRequest(`Property '${name}' is read-only and cannot be set.`);
    }
    if (value === null) {
      if (spec.type === 'boolean' || spec.type === 'string[]') throw invalidValue(name, resource);
      return;
    }
    switch (spec.type) {
      case 'string':
        if (typeof value !== 'string') throw invalidValue(name, resource);
        if (spec.maxLength !== undefined && value.length > spec.maxLength) throw invalidValue(name, resource);
        return;
      case 'datetime':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidValue(name, resource);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') throw invalidValue(name, resource);
        return;
      case 'string[]':
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidValue(name, resource);
        return;
      case 'object':
        if (typeof value !== 'object' || Array.isArray(value)) throw invalidValue(name, resource);
        return;
    }
  }

  private checkUpn(upn: unknown, selfId?: string): string {
    if (typeof upn !== 'string') throw invalidValue('userPrincipalName', 'User');
    const m = /^([A-Za-z0-9'._\-!#^~&+$%*/=?`{|}]+)@([A-Za-z0-9.-]+)$/.exec(upn);
    const local = m?.[1] ?? '';
    const domain = m?.[2] ?? '';
    if (
      !m ||
      local.startsWith('.') ||
      local.endsWith('.') ||
      local.includes('..') ||
      local.length > 64 ||
      upn.length > 113
    ) {
      throw invalidValue('userPrincipalName', 'User');
    }
    if (!this.verifiedDomains.includes(domain.toLowerCase())) {
      throw badRequest(
        'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
      );
    }
    const existing = this.upnIndex.get(upn.toLowerCase());
    if (existing && existing !== selfId) {
      throw badRequest('Another object with the same value for property userPrincipalName already exists.');
    }
    return upn;
  }

  private checkMailNickname(v: unknown, resource: string): string {
    if (
      typeof v !== 'string' ||
      v.length < 1 ||
      v.length > 64 ||
      !/^[\x21-\x7e]+$/.test(v) ||
      /[@()\\[\]";:<>,]/.test(v)
    ) {
      throw invalidValue('mailNickname', resource);
    }
    return v;
  }

  private checkPasswordProfile(v: unknown): { password: string; force: boolean } {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidValue('passwordProfile', 'User');
    const p = v as Record<string, unknown>;
    for (const k of Object.keys(p)) {
      if (!['password', 'forceChangePasswordNextSignIn', 'forceChangePasswordNextSignInWithMfa'].includes(k)) {
        throw badRequest(`Property '${k}' does not exist as a declared property or extension property.`);
      }
    }
    if (typeof p.password !== 'string' || p.password.length === 0) throw invalidValue('passwordProfile', 'User');
    if (!passwordIsComplex(p.password)) throw badRequest(PASSWORD_MESSAGE);
    if (p.forceChangePasswordNextSignIn !== undefined && typeof p.forceChangePasswordNextSignIn !== 'boolean') {
      throw invalidValue('passwordProfile', 'User');
    }
    return { password: p.password, force: p.forceChangePasswordNextSignIn === true };
  }

  // ---------- users ----------

  /** POST /users, validated as Graph does. */
  createUser(body: Record<string, unknown>): UserRecord {
    for (const req of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile']) {
      if (body[req] === undefined || body[req] === null || body[req] === '') {
        throw invalidValue(req, 'User');
      }
    }
    for (const [k, v] of Object.entries(body)) {
      if (k.startsWith('@odata.') || k.endsWith('@odata.bind')) continue;
      this.checkType('User', USER_PROPS, k, v);
    }
    this.checkMailNickname(body.mailNickname, 'User');
    this.checkUpn(body.userPrincipalName);
    const pw = this.checkPasswordProfile(body.passwordProfile);
    const rest: Record<string, unknown> = { ...body };
    delete rest.passwordProfile;
    const rec = this.insertUser(rest);
    rec.data.lastPasswordChangeDateTime = rec.data.createdDateTime;
    this.onPassword({ userId: rec.data.id, forceChangePasswordNextSignIn: pw.force, source: 'create' });
    return rec;
  }

  /** Seeding: defaults filled, no password; UPN uniqueness and domain still enforced. */
  seedUser(partial: Record<string, unknown>): UserRecord {
    const n = this.seqCounter + 1;
    const nick =
      (partial.mailNickname as string | undefined) ??
      (typeof partial.userPrincipalName === 'string' ? partial.userPrincipalName.split('@')[0] : `user${n}`);
    const given = (partial.givenName as string | undefined) ?? null;
    const sur = (partial.surname as string | undefined) ?? null;
    const input: Record<string, unknown> = {
      accountEnabled: true,
      displayName: given || sur ? [given, sur].filter(Boolean).join(' ') : nick,
      mailNickname: nick,
      userPrincipalName: `${nick}@${this.defaultDomain}`,
      ...partial,
    };
    const managerId = input.managerId as string | undefined;
    delete input.managerId;
    delete input.password;
    delete input.passwordProfile;
    this.checkUpn(input.userPrincipalName);
    const rec = this.insertUser(input);
    if (managerId) rec.managerId = this.getUser(managerId).data.id;
    return rec;
  }

  private insertUser(input: Record<string, unknown>): UserRecord {
    const now = isoNow();
    const id = typeof input.id === 'string' ? input.id.toLowerCase() : randomUUID();
    if (this.findObject(id)) throw new Error(`graph-emulator: object id ${id} already exists`);
    const data: GraphUser = {
      id,
      userPrincipalName: '',
      displayName: '',
      mailNickname: '',
      accountEnabled: true,
      givenName: null,
      surname: null,
      mail: null,
      jobTitle: null,
      department: null,
      companyName: null,
      employeeId: null,
      employeeType: null,
      employeeHireDate: null,
      mobilePhone: null,
      businessPhones: [],
      faxNumber: null,
      officeLocation: null,
      preferredLanguage: null,
      usageLocation: null,
      city: null,
      country: null,
      state: null,
      streetAddress: null,
      postalCode: null,
      ageGroup: null,
      userType: 'Member',
      otherMails: [],
      proxyAddresses: [],
      onPremisesImmutableId: null,
      onPremisesSyncEnabled: null,
      onPremisesExtensionAttributes: null,
      passwordPolicies: null,
      createdDateTime: now,
      lastPasswordChangeDateTime: null,
      deletedDateTime: null,
    };
    for (const [k, v] of Object.entries(input)) {
      if (k in data && k !== 'id') (data as unknown as Record<string, unknown>)[k] = v;
    }
    if (data.mail && data.proxyAddresses.length === 0) data.proxyAddresses = [`SMTP:${data.mail}`];
    const rec: UserRecord = { kind: 'user', data, seq: ++this.seqCounter, ver: this.bump(), managerId: null };
    this.users.set(id, rec);
    this.userOrder.push(rec);
    this.upnIndex.set(data.userPrincipalName.toLowerCase(), id);
    return rec;
  }

  /** PATCH /users/{id} (the caller has checked permissions, including for passwordProfile). */
  updateUser(rec: UserRecord, body: Record<string, unknown>): void {
    let pw: { password: string; force: boolean } | undefined;
    for (const [k, v] of Object.entries(body)) {
      if (k === 'passwordProfile') {
        pw = this.checkPasswordProfile(v);
        continue;
      }
      this.checkType('User', USER_PROPS, k, v);
      if (
        ['displayName', 'mailNickname', 'userPrincipalName', 'accountEnabled'].includes(k) &&
        (v === null || v === '')
      ) {
        throw invalidValue(k, 'User');
      }
    }
    if (body.mailNickname !== undefined) this.checkMailNickname(body.mailNickname, 'User');
    if (body.userPrincipalName !== undefined) this.checkUpn(body.userPrincipalName, rec.data.id);
    if (
      body.usageLocation !== undefined &&
      body.usageLocation !== null &&
      !/^[A-Z]{2}$/.test(String(body.usageLocation))
    ) {
      throw invalidValue('usageLocation', 'User');
    }
    const data = rec.data as unknown as Record<string, unknown>;
    if (typeof body.userPrincipalName === 'string') {
      this.upnIndex.delete(rec.data.userPrincipalName.toLowerCase());
      this.upnIndex.set(body.userPrincipalName.toLowerCase(), rec.data.id);
    }
    for (const [k, v] of Object.entries(body)) {
      if (k !== 'passwordProfile') data[k] = v;
    }
    if (pw) {
      rec.data.lastPasswordChangeDateTime = isoNow();
      this.onPassword({ userId: rec.data.id, forceChangePasswordNextSignIn: pw.force, source: 'update' });
    }
    if (Object.keys(body).some((k) => k !== 'passwordProfile')) rec.ver = this.bump();
  }

  setManager(rec: UserRecord, managerId: string | null): void {
    if (managerId !== null) {
      const m = this.findUser(managerId);
      if (!m) throw notFound(managerId);
      if (m === rec) throw badRequest('A user cannot be their own manager.');
      managerId = m.data.id;
    }
    rec.managerId = managerId;
    rec.ver = this.bump();
  }

  /** DELETE /users/{id}: soft delete (30 days in the recycle bin); memberships are removed. */
  deleteUser(rec: UserRecord): void {
    this.detachMember(rec.data.id, 'user');
    for (const other of this.users.values()) {
      if (other.managerId === rec.data.id) other.managerId = null;
    }
    this.users.delete(rec.data.id);
    this.upnIndex.delete(rec.data.userPrincipalName.toLowerCase());
    this.userOrder.markGone(rec);
    const ver = this.bump();
    const deleted: UserRecord = { ...rec, gone: false, data: { ...rec.data, deletedDateTime: isoNow() }, ver };
    // Entra frees the UPN of a deleted user by prefixing it with the object id.
    deleted.data.userPrincipalName = `${rec.data.id.replace(/-/g, '')}${rec.data.userPrincipalName}`;
    this.deletedUsers.set(rec.data.id, deleted);
    this.tombstones.set(rec.data.id, { id: rec.data.id, kind: 'user', seq: rec.seq, ver, reason: 'changed' });
  }

  // ---------- groups ----------

  createGroup(body: Record<string, unknown>): GroupRecord {
    for (const req of ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled']) {
      if (body[req] === undefined || body[req] === null || body[req] === '') throw invalidValue(req, 'Group');
    }
    const binds: string[] = [];
    for (const [k, v] of Object.entries(body)) {
      if (k === 'members@odata.bind' || k === 'owners@odata.bind') {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidValue(k, 'Group');
        if (k === 'members@odata.bind') binds.push(...(v as string[]));
        continue;
      }
      if (k.startsWith('@odata.')) continue;
      this.checkType('Group', GROUP_PROPS, k, v);
    }
    this.checkMailNickname(body.mailNickname, 'Group');
    const unified =
      Array.isArray(body.groupTypes) && (body.groupTypes as string[]).some((t) => t.toLowerCase() === 'unified');
    if (body.mailEnabled === true && !unified) {
      throw badRequest(
        'Creating mail-enabled security groups and distribution groups is not supported. Use a Microsoft 365 group (groupTypes: ["Unified"]) or a security group.',
      );
    }
    if (binds.length > 20) throw badRequest('Maximum number of members that can be added in a single request is 20.');
    const memberIds = binds.map((b) => this.resolveRef(b).data.id);
    if (new Set(memberIds).size !== memberIds.length) throw alreadyMember();
    const rec = this.seedGroup({ ...body, members: [] });
    for (const m of memberIds) this.addMember(rec, m);
    return rec;
  }

  seedGroup(partial: Record<string, unknown>): GroupRecord {
    const now = isoNow();
    const id = typeof partial.id === 'string' ? partial.id.toLowerCase() : randomUUID();
    if (this.findObject(id)) throw new Error(`graph-emulator: object id ${id} already exists`);
    const nick = (partial.mailNickname as string | undefined) ?? `group${this.seqCounter + 1}`;
    const data: GraphGroup = {
      id,
      displayName: nick,
      description: null,
      mailEnabled: false,
      mailNickname: nick,
      securityEnabled: true,
      groupTypes: [],
      mail: null,
      visibility: null,
      classification: null,
      isAssignableToRole: null,
      membershipRule: null,
      membershipRuleProcessingState: null,
      preferredLanguage: null,
      proxyAddresses: [],
      securityIdentifier: sidFromGuid(id),
      onPremisesSyncEnabled: null,
      createdDateTime: now,
      renewedDateTime: now,
      deletedDateTime: null,
    };
    for (const [k, v] of Object.entries(partial)) {
      if (k in data && k !== 'id' && k !== 'securityIdentifier') (data as unknown as Record<string, unknown>)[k] = v;
    }
    if (data.groupTypes.some((t) => t.toLowerCase() === 'unified')) {
      data.mail = data.mail ?? `${data.mailNickname}@${this.defaultDomain}`;
      data.proxyAddresses = [`SMTP:${data.mail}`];
      data.visibility = data.visibility ?? 'Public';
    }
    const rec: GroupRecord = { kind: 'group', data, seq: ++this.seqCounter, ver: this.bump(), members: new Set() };
    this.groups.set(id, rec);
    this.groupOrder.push(rec);
    const members = partial.members;
    if (Array.isArray(members)) {
      for (const m of members) this.addMember(rec, String(m));
    }
    return rec;
  }

  updateGroup(rec: GroupRecord, body: Record<string, unknown>): void {
    let binds: string[] = [];
    for (const [k, v] of Object.entries(body)) {
      if (k === 'members@odata.bind') {
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidValue(k, 'Group');
        binds = v as string[];
        continue;
      }
      this.checkType('Group', GROUP_PROPS, k, v);
      if (['displayName', 'mailNickname', 'mailEnabled', 'securityEnabled'].includes(k) && (v === null || v === '')) {
        throw invalidValue(k, 'Group');
      }
    }
    if (body.mailNickname !== undefined) this.checkMailNickname(body.mailNickname, 'Group');
    if (binds.length > 20) {
      throw badRequest(
        'The request contains more than 20 references in members@odata.bind. At most 20 members can be added in a single request.',
      );
    }
    const ids = binds.map((b) => this.resolveRef(b).data.id);
    if (ids.some((id) => rec.members.has(id)) || new Set(ids).size !== ids.length) throw alreadyMember();
    for (const id of ids) this.checkMemberCandidate(rec, id);
    const data = rec.data as unknown as Record<string, unknown>;
    let changed = false;
    for (const [k, v] of Object.entries(body)) {
      if (k === 'members@odata.bind') continue;
      data[k] = v;
      changed = true;
    }
    if (changed) rec.ver = this.bump();
    for (const id of ids) this.addMember(rec, id);
  }

  /** Security groups are deleted permanently; Microsoft 365 groups go to the recycle bin. */
  deleteGroup(rec: GroupRecord): void {
    for (const m of [...rec.members]) this.removeMember(rec, m);
    this.detachMember(rec.data.id, 'group');
    this.groups.delete(rec.data.id);
    this.groupOrder.markGone(rec);
    const ver = this.bump();
    const unified = rec.data.groupTypes.some((t) => t.toLowerCase() === 'unified');
    if (unified)
      this.deletedGroups.set(rec.data.id, {
        ...rec,
        gone: false,
        ver,
        data: { ...rec.data, deletedDateTime: isoNow() },
      });
    this.tombstones.set(rec.data.id, {
      id: rec.data.id,
      kind: 'group',
      seq: rec.seq,
      ver,
      reason: unified ? 'changed' : 'deleted',
    });
  }

  // ---------- membership ----------

  /** Resolves an `@odata.id` / bind URL (…/directoryObjects/{id}, …/users/{id}, …/groups/{id}) to an object. */
  resolveRef(ref: unknown): DirRecord {
    if (typeof ref !== 'string') throw badRequest("Invalid value specified for property '@odata.id'.");
    const m = /^(?:https:\/\/[^/]+)?(?:\/(?:v1\.0|beta))?\/(directoryObjects|users|groups)\/([^/?#]+)$/i.exec(
      ref.trim(),
    );
    if (!m) throw badRequest(`Invalid object identifier '${ref}'.`);
    const id = decodeURIComponent(m[2] ?? '').replace(/^\('?|'?\)$/g, '');
    const kind = (m[1] ?? '').toLowerCase();
    const obj =
      kind === 'users'
        ? this.findUser(id)
        : kind === 'groups'
          ? this.groups.get(id.toLowerCase())
          : this.findObject(id);
    if (!obj) throw notFound(id);
    return obj;
  }

  private checkMemberCandidate(group: GroupRecord, memberId: string): void {
    if (memberId === group.data.id) throw badRequest('A group cannot be added as a member of itself.');
  }

  addMember(group: GroupRecord, memberId: string): void {
    const obj = this.findObject(memberId);
    if (!obj) throw notFound(memberId);
    const id = obj.data.id;
    this.checkMemberCandidate(group, id);
    if (group.members.has(id)) throw alreadyMember();
    group.members.add(id);
    let set = this.memberOfIndex.get(id);
    if (!set) this.memberOfIndex.set(id, (set = new Set()));
    set.add(group.data.id);
    this.memberLog.push({
      ver: this.bump(),
      groupId: group.data.id,
      memberId: id,
      memberKind: obj.kind,
      removed: false,
    });
  }

  removeMember(group: GroupRecord, memberId: string): void {
    const id = memberId.toLowerCase();
    if (!group.members.has(id)) throw notFound(memberId);
    group.members.delete(id);
    this.memberOfIndex.get(id)?.delete(group.data.id);
    const kind: ObjectKind = this.users.has(id) || this.deletedUsers.has(id) ? 'user' : 'group';
    this.memberLog.push({ ver: this.bump(), groupId: group.data.id, memberId: id, memberKind: kind, removed: true });
  }

  private detachMember(id: string, _kind: ObjectKind): void {
    for (const gid of [...(this.memberOfIndex.get(id) ?? [])]) {
      const g = this.groups.get(gid);
      if (g?.members.has(id)) this.removeMember(g, id);
    }
    this.memberOfIndex.delete(id);
  }

  /** Transitive members of a group (users and groups), each once, nested groups expanded. */
  transitiveMembers(group: GroupRecord): string[] {
    const seen = new Set<string>();
    const walk = (g: GroupRecord) => {
      for (const m of g.members) {
        if (seen.has(m)) continue;
        seen.add(m);
        const sub = this.groups.get(m);
        if (sub) walk(sub);
      }
    };
    walk(group);
    seen.delete(group.data.id);
    return [...seen];
  }

  // ---------- recycle bin ----------

  restore(id: string): DirRecord {
    const key = id.toLowerCase();
    const u = this.deletedUsers.get(key);
    if (u) {
      const upn = u.data.userPrincipalName.slice(key.replace(/-/g, '').length);
      if (this.upnIndex.has(upn.toLowerCase())) {
        throw badRequest('Another object with the same value for property userPrincipalName already exists.');
      }
      this.deletedUsers.delete(key);
      this.tombstones.delete(key);
      const rec: UserRecord = {
        ...u,
        gone: false,
        seq: ++this.seqCounter,
        ver: this.bump(),
        data: { ...u.data, userPrincipalName: upn, deletedDateTime: null },
      };
      this.users.set(key, rec);
      this.userOrder.push(rec);
      this.upnIndex.set(upn.toLowerCase(), key);
      return rec;
    }
    const g = this.deletedGroups.get(key);
    if (g) {
      this.deletedGroups.delete(key);
      this.tombstones.delete(key);
      const rec: GroupRecord = {
        ...g,
        gone: false,
        seq: ++this.seqCounter,
        ver: this.bump(),
        members: new Set(),
        data: { ...g.data, deletedDateTime: null },
      };
      this.groups.set(key, rec);
      this.groupOrder.push(rec);
      return rec;
    }
    throw notFound(id);
  }

  purge(id: string): void {
    const key = id.toLowerCase();
    const kind: ObjectKind | undefined = this.deletedUsers.has(key)
      ? 'user'
      : this.deletedGroups.has(key)
        ? 'group'
        : undefined;
    if (!kind) throw notFound(id);
    const t = this.tombstones.get(key)!;
    this.deletedUsers.delete(key);
    this.deletedGroups.delete(key);
    this.tombstones.set(key, { ...t, ver: this.bump(), reason: 'deleted' });
  }
}

export function alreadyMember(): GraphError {
  return badRequest(
    "One or more added object references already exist for the following modified properties: 'members'.",
  );
}
