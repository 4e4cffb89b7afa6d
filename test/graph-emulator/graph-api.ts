// Microsoft Graph v1.0 resources served by the emulator: organization, users, groups, membership,
// delta, recycle bin and sendMail. One request in, one response out, synchronously; the pipeline in
// server.ts adds authentication, throttling, fault injection and $batch around it.
import { GraphError, badRequest, forbidden, notFound, unsupportedQuery } from './errors.ts';
import type { Directory } from './directory.ts';
import type { DirRecord, MemberChange, OrderedIndex } from './directory.ts';
import { GROUP_DEFAULT_SELECT, GROUP_PROPS, ODATA_TYPE, USER_DEFAULT_SELECT, USER_PROPS } from './model.ts';
import type { ObjectKind, PropSpec } from './model.ts';
import {
  decodeToken,
  encodeToken,
  evalFilter,
  parseFilter,
  parseOrderBy,
  parseSearch,
  parseSelect,
  parseTop,
} from './odata.ts';
import type { FilterNode } from './odata.ts';

export interface Principal {
  appId: string;
  roles: string[];
  /** directory role names held by the app's service principal, from the token's wids */
  directoryRoles: string[];
}

export interface ApiRequest {
  method: string;
  /** path below /v1.0, still percent-encoded, e.g. /users/a%40b.test */
  path: string;
  query: URLSearchParams;
  /** lower-case names */
  headers: Record<string, string>;
  body: unknown;
  principal: Principal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** a text/plain body ($count) */
  text?: string;
}

export interface SentMail {
  from: string;
  userId: string;
  message: any;
  saveToSentItems: boolean;
  at: number;
}

export interface GraphApiDeps {
  dir: Directory;
  baseUrl: () => string;
  tenantId: string;
  orgDisplayName: string;
  sentMail: SentMail[];
  deltaEpoch: () => number;
}

const READ_USERS = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const WRITE_USERS = ['User.ReadWrite.All', 'Directory.ReadWrite.All'];
const READ_GROUPS = ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const WRITE_GROUPS = ['Group.ReadWrite.All', 'Directory.ReadWrite.All'];
const CREATE_GROUPS = [...WRITE_GROUPS, 'Group.Create'];
const READ_MEMBERS = [...READ_GROUPS, 'GroupMember.Read.All', 'GroupMember.ReadWrite.All'];
const WRITE_MEMBERS = ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'];
const PASSWORD_ROLES = [
  'User Administrator',
  'Helpdesk Administrator',
  'Password Administrator',
  'Authentication Administrator',
  'Privileged Authentication Administrator',
  'Global Administrator',
];

/** Directory role display name → role template id (the token's `wids`). */
export const DIRECTORY_ROLE_IDS: Record<string, string> = {
  'Global Administrator': '62e90394-69f5-4237-9190-012177145e10',
  'User Administrator': 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  'Helpdesk Administrator': '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  'Password Administrator': '966707d0-3269-4727-9be2-8c3a10f19b9d',
  'Authentication Administrator': 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  'Privileged Authentication Administrator': '7be44c8a-adaf-4e2a-84d6-ab2649e08a13',
  'Groups Administrator': 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
};

const SKIP_PREFIX = 'RFNwdAIAAQAAA';
const DELTA_PREFIX = 'ZGVsdGE';
const MEMBER_UNION: Record<string, PropSpec> = { ...GROUP_PROPS, ...USER_PROPS };

interface DeltaState {
  /** users | groups */
  k: 'users' | 'groups';
  /** $select (undefined = default properties) */
  s?: string[];
  /** members selected ($select=members) */
  m: boolean;
  /** changes with version > since … */
  since: number;
  /** … and <= upto are this round's */
  upto: number;
  /** creation-order cursor within the round */
  c: number;
  /** page size */
  n: number;
  e: number;
}

function ok(body: unknown, status = 200, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers, body };
}

function noContent(): ApiResponse {
  return { status: 204, headers: {} };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requireBody(body: unknown): Record<string, unknown> {
  if (!isObject(body)) {
    throw badRequest(
      'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      'BadRequest',
    );
  }
  return body;
}

export class GraphApi {
  private readonly d: GraphApiDeps;
  constructor(deps: GraphApiDeps) {
    this.d = deps;
  }

  private get dir(): Directory {
    return this.d.dir;
  }

  private need(p: Principal, anyOf: string[]): void {
    if (!p.roles.some((r) => anyOf.includes(r))) throw forbidden();
  }

  handle(req: ApiRequest): ApiResponse {
    let segs: string[];
    try {
      segs = req.path
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      throw badRequest(`Invalid request URL '${req.path}'.`, 'BadRequest');
    }
    const m = req.method;
    const [s0 = '', s1 = '', s2 = '', s3 = '', s4 = ''] = segs;
    const n = segs.length;
    const allow = (...methods: string[]) => {
      if (!methods.includes(m)) {
        throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
      }
    };
    const isFn = (s: string | undefined, name: string) =>
      s === name || s === `microsoft.graph.${name}` || s === `microsoft.graph.${name}()` || s === `${name}()`;

    if (n === 0) throw badRequest('Invalid request: the URL has no resource segment.', 'BadRequest');
    switch (s0) {
      case 'me':
        throw badRequest('/me request is only valid with delegated authentication flow.', 'BadRequest');
      case 'organization':
        allow('GET');
        if (n === 1) return this.organization(req, true);
        if (n === 2 && s1.toLowerCase() === this.d.tenantId) return this.organization(req, false);
        if (n === 2) throw notFound(s1);
        break;
      case 'users': {
        if (n === 1) {
          if (m === 'POST') return this.createUser(req);
          allow('GET');
          this.need(req.principal, READ_USERS);
          return this.list(req, 'user');
        }
        if (n === 2 && s1 === '$count') {
          allow('GET');
          this.need(req.principal, READ_USERS);
          return this.count(req, this.dir.users.size);
        }
        if (n === 2 && isFn(s1, 'delta')) {
          allow('GET');
          this.need(req.principal, READ_USERS);
          return this.delta(req, 'users');
        }
        const userKey = s1;
        if (n === 2) {
          if (m === 'GET') {
            this.need(req.principal, READ_USERS);
            return this.getObject(req, this.dir.getUser(userKey));
          }
          if (m === 'PATCH') return this.patchUser(req, userKey);
          if (m === 'DELETE') {
            this.need(req.principal, WRITE_USERS);
            this.dir.deleteUser(this.dir.getUser(userKey));
            return noContent();
          }
          allow('GET', 'PATCH', 'DELETE');
        }
        if (s2 === 'manager') {
          if (n === 3) {
            allow('GET');
            this.need(req.principal, READ_USERS);
            const u = this.dir.getUser(userKey);
            const mgr = u.managerId ? this.dir.users.get(u.managerId) : undefined;
            if (!mgr) throw notFound('manager');
            return this.getObject(req, mgr, true);
          }
          if (n === 4 && s3 === '$ref') {
            const u = this.dir.getUser(userKey);
            if (m === 'GET') {
              this.need(req.principal, READ_USERS);
              if (!u.managerId) throw notFound('manager');
              return ok({
                '@odata.context': `${this.base()}/$metadata#directoryObjects/$entity`,
                '@odata.id': this.objectUrl(u.managerId),
              });
            }
            this.need(req.principal, WRITE_USERS);
            if (m === 'PUT') {
              const body = requireBody(req.body);
              const target = this.dir.resolveRef(body['@odata.id']);
              if (target.kind !== 'user') throw badRequest('The manager must be a user.');
              this.dir.setManager(u, target.data.id);
              return noContent();
            }
            if (m === 'DELETE') {
              if (!u.managerId) throw notFound('manager');
              this.dir.setManager(u, null);
              return noContent();
            }
            allow('GET', 'PUT', 'DELETE');
          }
        }
        if (n === 3 && (s2 === 'memberOf' || s2 === 'transitiveMemberOf')) {
          allow('GET');
          this.need(req.principal, READ_USERS);
          const u = this.dir.getUser(userKey);
          const ids = s2 === 'memberOf' ? this.dir.memberOf(u.data.id) : this.transitiveMemberOf(u.data.id);
          return this.listRefs(req, ids, `users('${u.data.id}')/${s2}`);
        }
        if (n === 3 && isFn(s2, 'sendMail')) {
          allow('POST');
          return this.sendMail(req, userKey);
        }
        break;
      }
      case 'groups': {
        if (n === 1) {
          if (m === 'POST') {
            this.need(req.principal, CREATE_GROUPS);
            const body = requireBody(req.body);
            if (body['members@odata.bind'] !== undefined) this.need(req.principal, [...WRITE_MEMBERS]);
            const g = this.dir.createGroup(body);
            return ok(this.shape(g, undefined, `groups/$entity`), 201, {
              location: `${this.base()}/groups/${g.data.id}`,
            });
          }
          allow('GET');
          this.need(req.principal, READ_GROUPS);
          return this.list(req, 'group');
        }
        if (n === 2 && s1 === '$count') {
          allow('GET');
          this.need(req.principal, READ_GROUPS);
          return this.count(req, this.dir.groups.size);
        }
        if (n === 2 && isFn(s1, 'delta')) {
          allow('GET');
          this.need(req.principal, READ_GROUPS);
          return this.delta(req, 'groups');
        }
        const gid = s1;
        if (n === 2) {
          if (m === 'GET') {
            this.need(req.principal, READ_GROUPS);
            return this.getObject(req, this.dir.getGroup(gid));
          }
          if (m === 'PATCH') {
            const body = requireBody(req.body);
            const onlyMembers = Object.keys(body).every((k) => k === 'members@odata.bind');
            this.need(req.principal, onlyMembers ? WRITE_MEMBERS : WRITE_GROUPS);
            this.dir.updateGroup(this.dir.getGroup(gid), body);
            return noContent();
          }
          if (m === 'DELETE') {
            this.need(req.principal, WRITE_GROUPS);
            this.dir.deleteGroup(this.dir.getGroup(gid));
            return noContent();
          }
          allow('GET', 'PATCH', 'DELETE');
        }
        if (s2 === 'members' || s2 === 'transitiveMembers') {
          if (n === 3 || (n === 4 && (s3 === 'microsoft.graph.user' || s3 === 'microsoft.graph.group'))) {
            allow('GET');
            this.need(req.principal, READ_MEMBERS);
            const g = this.dir.getGroup(gid);
            let ids = s2 === 'members' ? [...g.members] : this.dir.transitiveMembers(g);
            if (n === 4) {
              const want: ObjectKind = s3 === 'microsoft.graph.user' ? 'user' : 'group';
              ids = ids.filter((id) => this.dir.findObject(id)?.kind === want);
            }
            return this.listRefs(req, ids, `groups('${g.data.id}')/${s2}`);
          }
          if (s2 === 'members' && n === 4 && s3 === '$ref') {
            const g = this.dir.getGroup(gid);
            if (m === 'GET') {
              this.need(req.principal, READ_MEMBERS);
              return ok({
                '@odata.context': `${this.base()}/$metadata#directoryObjects`,
                value: [...g.members].map((id) => ({ '@odata.id': this.objectUrl(id) })),
              });
            }
            allow('POST');
            this.need(req.principal, WRITE_MEMBERS);
            const body = requireBody(req.body);
            const target = this.dir.resolveRef(body['@odata.id']);
            this.dir.addMember(g, target.data.id);
            return noContent();
          }
          if (s2 === 'members' && n === 5 && s4 === '$ref') {
            allow('DELETE');
            this.need(req.principal, WRITE_MEMBERS);
            const g = this.dir.getGroup(gid);
            this.dir.removeMember(g, s3);
            return noContent();
          }
        }
        if (n === 3 && (s2 === 'memberOf' || s2 === 'transitiveMemberOf')) {
          allow('GET');
          this.need(req.principal, READ_GROUPS);
          const g = this.dir.getGroup(gid);
          const ids = s2 === 'memberOf' ? this.dir.memberOf(g.data.id) : this.transitiveMemberOf(g.data.id);
          return this.listRefs(req, ids, `groups('${g.data.id}')/${s2}`);
        }
        break;
      }
      case 'directoryObjects':
        if (n === 2) {
          allow('GET');
          this.need(req.principal, [...READ_USERS, ...READ_GROUPS]);
          const obj = this.dir.findObject(s1);
          if (!obj) throw notFound(s1);
          return this.getObject(req, obj, true);
        }
        break;
      case 'directory':
        if (s1 === 'deletedItems') return this.deletedItems(req, segs.slice(2));
        break;
    }
    throw badRequest(`Resource not found for the segment '${segs[Math.min(n - 1, 1)] ?? ''}'.`, 'BadRequest');
  }

  // ---------- helpers ----------

  private base(): string {
    return `${this.d.baseUrl()}/v1.0`;
  }

  private objectUrl(id: string): string {
    return `${this.base()}/directoryObjects/${id}`;
  }

  /** Projects a record onto $select (or the type's default properties). */
  private project(rec: DirRecord, select: string[] | undefined, withType: boolean): Record<string, unknown> {
    const props = rec.kind === 'user' ? USER_PROPS : GROUP_PROPS;
    const names = select ?? (rec.kind === 'user' ? USER_DEFAULT_SELECT : GROUP_DEFAULT_SELECT);
    const data = rec.data as unknown as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    if (withType) out['@odata.type'] = ODATA_TYPE[rec.kind];
    for (const name of names) {
      const spec = props[name];
      if (!spec) continue; // a property of the other type in a mixed collection
      if (spec.writeOnly) {
        out[name] = null;
        continue;
      }
      const v = data[name];
      out[name] = Array.isArray(v) ? [...v] : v === undefined ? null : isObject(v) ? { ...v } : v;
    }
    return out;
  }

  private shape(rec: DirRecord, select: string[] | undefined, context: string): Record<string, unknown> {
    const ctxSel = select ? `(${select.join(',')})` : '';
    const entity = context.endsWith('/$entity') ? context.replace('/$entity', `${ctxSel}/$entity`) : context + ctxSel;
    return { '@odata.context': `${this.base()}/$metadata#${entity}`, ...this.project(rec, select, false) };
  }

  private advanced(req: ApiRequest): boolean {
    return (req.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
  }

  private rejectSkip(req: ApiRequest): void {
    if (req.query.has('$skip')) throw badRequest("'$skip' is not supported by the service.");
  }

  private nextLink(req: ApiRequest, token: string): string {
    const parts: string[] = [];
    for (const [k, v] of req.query) {
      if (k === '$skiptoken') continue;
      parts.push(`${k}=${encodeURIComponent(v)}`);
    }
    parts.push(`$skiptoken=${token}`);
    return `${this.base()}${req.path}?${parts.join('&')}`;
  }

  private parseExpand(
    req: ApiRequest,
    kind: ObjectKind,
  ): { nav: 'manager' | 'members'; select?: string[] } | undefined {
    const raw = req.query.get('$expand');
    if (raw === null) return undefined;
    if (this.advanced(req)) throw unsupportedQuery('$expand is not supported in advanced queries.');
    const m = /^\s*(manager|members)\s*(?:\(\s*\$select=([^)]*)\))?\s*$/.exec(raw);
    const nav = m?.[1];
    if (!m || (kind === 'user' && nav !== 'manager') || (kind === 'group' && nav !== 'members')) {
      throw badRequest(
        `Parsing OData Select and Expand failed: Could not find a property named '${raw.split('(')[0]}' on type 'microsoft.graph.${kind}'.`,
      );
    }
    const select = m[2] !== undefined ? parseSelect(m[2], MEMBER_UNION, 'microsoft.graph.directoryObject') : undefined;
    return { nav: nav as 'manager' | 'members', select };
  }

  private applyExpand(
    rec: DirRecord,
    out: Record<string, unknown>,
    exp: { nav: 'manager' | 'members'; select?: string[] } | undefined,
  ): void {
    if (!exp) return;
    if (exp.nav === 'manager' && rec.kind === 'user') {
      const mgr = rec.managerId ? this.dir.users.get(rec.managerId) : undefined;
      if (mgr) out.manager = this.project(mgr, exp.select, true);
    } else if (exp.nav === 'members' && rec.kind === 'group') {
      // Graph expands at most 20 members.
      out.members = [...rec.members]
        .slice(0, 20)
        .map((id) => this.dir.findObject(id))
        .filter((o): o is DirRecord => o !== undefined)
        .map((o) => this.project(o, exp.select, true));
    }
  }

  private getObject(req: ApiRequest, rec: DirRecord, withType = false): ApiResponse {
    const props = rec.kind === 'user' ? USER_PROPS : GROUP_PROPS;
    const select = parseSelect(
      req.query.get('$select'),
      withType ? MEMBER_UNION : props,
      `microsoft.graph.${rec.kind}`,
    );
    const exp = this.parseExpand(req, rec.kind);
    const ctx = withType ? 'directoryObjects/$entity' : `${rec.kind}s/$entity`;
    const out = withType
      ? { '@odata.context': `${this.base()}/$metadata#${ctx}`, ...this.project(rec, select, true) }
      : this.shape(rec, select, ctx);
    this.applyExpand(rec, out, exp);
    return ok(out);
  }

  private count(req: ApiRequest, n: number): ApiResponse {
    if (!this.advanced(req)) {
      throw badRequest('Count is not currently supported.', 'Request_BadRequest');
    }
    return { status: 200, headers: { 'content-type': 'text/plain' }, text: String(n) };
  }

  // ---------- collections ----------

  private list(req: ApiRequest, kind: ObjectKind): ApiResponse {
    this.rejectSkip(req);
    const props = kind === 'user' ? USER_PROPS : GROUP_PROPS;
    const typeName = `microsoft.graph.${kind}`;
    const advanced = this.advanced(req);
    const top = parseTop(req.query.get('$top'));
    const select = parseSelect(req.query.get('$select'), props, typeName);
    const filterRaw = req.query.get('$filter');
    const filter: FilterNode | undefined =
      filterRaw !== null ? parseFilter(filterRaw, { props, typeName, advanced }) : undefined;
    const orderBy = parseOrderBy(req.query.get('$orderby'), props);
    if (orderBy && filter && !advanced) {
      throw unsupportedQuery(
        'Sorting not supported for current query. Add ConsistencyLevel:eventual and $count=true to use advanced queries.',
      );
    }
    const searchRaw = req.query.get('$search');
    if (searchRaw !== null && !advanced) {
      throw unsupportedQuery(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
      );
    }
    const search = searchRaw !== null ? parseSearch(searchRaw, props) : undefined;
    const wantCount = (req.query.get('$count') ?? '').toLowerCase() === 'true';
    if (wantCount && !advanced)
      throw unsupportedQuery('$count is not currently supported without the ConsistencyLevel:eventual header.');
    const exp = this.parseExpand(req, kind);

    const index = (kind === 'user' ? this.dir.userOrder : this.dir.groupOrder) as OrderedIndex<DirRecord>;
    const matches = (r: DirRecord) => {
      const data = r.data as unknown as Record<string, unknown>;
      return (!filter || evalFilter(filter, data)) && (!search || search(data));
    };
    const tokenRaw = req.query.get('$skiptoken');
    let state: { a?: number; o?: number; e?: number } = {};
    if (tokenRaw !== null) {
      const t = decodeToken<{ a?: number; o?: number }>(SKIP_PREFIX, tokenRaw);
      if (!t) throw badRequest('Invalid paging token specified.', 'Request_BadRequest');
      state = t;
    }

    let page: DirRecord[] = [];
    let next: string | undefined;
    let total: number | undefined;
    if (orderBy) {
      const all: DirRecord[] = [];
      for (const r of index.after(0)) if (matches(r)) all.push(r);
      const key = (r: DirRecord) =>
        String((r.data as unknown as Record<string, unknown>)[orderBy.prop] ?? '').toLowerCase();
      all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.seq - b.seq) * (orderBy.desc ? -1 : 1));
      const offset = state.o ?? 0;
      page = all.slice(offset, offset + top);
      if (offset + top < all.length) next = encodeToken(SKIP_PREFIX, { o: offset + top });
      total = all.length;
    } else {
      for (const r of index.after(state.a ?? 0)) {
        if (!matches(r)) continue;
        if (page.length === top) {
          next = encodeToken(SKIP_PREFIX, { a: page.at(-1)?.seq ?? 0 });
          break;
        }
        page.push(r);
      }
      if (wantCount) {
        total = 0;
        for (const r of index.after(0)) if (matches(r)) total++;
      }
    }
    const ctxSel = select ? `(${select.join(',')})` : '';
    const body: Record<string, unknown> = { '@odata.context': `${this.base()}/$metadata#${kind}s${ctxSel}` };
    if (wantCount) body['@odata.count'] = total;
    if (next) body['@odata.nextLink'] = this.nextLink(req, next);
    body.value = page.map((r) => {
      const o = this.project(r, select, false);
      this.applyExpand(r, o, exp);
      return o;
    });
    return ok(body);
  }

  /** A paged list of directory objects by id (members, memberOf): `@odata.type` on each. */
  private listRefs(req: ApiRequest, ids: string[], context: string): ApiResponse {
    this.rejectSkip(req);
    const advanced = this.advanced(req);
    const top = parseTop(req.query.get('$top'));
    const select = parseSelect(req.query.get('$select'), MEMBER_UNION, 'microsoft.graph.directoryObject');
    const filterRaw = req.query.get('$filter');
    if (filterRaw !== null && !advanced) {
      throw unsupportedQuery('Filter on members requires the ConsistencyLevel:eventual header and $count=true.');
    }
    const filter =
      filterRaw !== null
        ? parseFilter(filterRaw, { props: MEMBER_UNION, typeName: 'microsoft.graph.directoryObject', advanced })
        : undefined;
    const wantCount = (req.query.get('$count') ?? '').toLowerCase() === 'true';
    if (wantCount && !advanced)
      throw unsupportedQuery('$count is not currently supported without the ConsistencyLevel:eventual header.');
    let objs = ids.map((id) => this.dir.findObject(id)).filter((o): o is DirRecord => o !== undefined);
    if (filter) objs = objs.filter((o) => evalFilter(filter, o.data as unknown as Record<string, unknown>));
    const tokenRaw = req.query.get('$skiptoken');
    let offset = 0;
    if (tokenRaw !== null) {
      const t = decodeToken<{ o: number }>(SKIP_PREFIX, tokenRaw);
      if (!t || typeof t.o !== 'number') throw badRequest('Invalid paging token specified.');
      offset = t.o;
    }
    const page = objs.slice(offset, offset + top);
    const body: Record<string, unknown> = {
      '@odata.context': `${this.base()}/$metadata#directoryObjects${select ? `(${select.join(',')})` : ''}`,
    };
    void context;
    if (wantCount) body['@odata.count'] = objs.length;
    if (offset + top < objs.length)
      body['@odata.nextLink'] = this.nextLink(req, encodeToken(SKIP_PREFIX, { o: offset + top }));
    body.value = page.map((o) => this.project(o, select, true));
    return ok(body);
  }

  private transitiveMemberOf(id: string): string[] {
    const seen = new Set<string>();
    const walk = (x: string) => {
      for (const g of this.dir.memberOf(x)) {
        if (seen.has(g)) continue;
        seen.add(g);
        walk(g);
      }
    };
    walk(id);
    return [...seen];
  }

  // ---------- organization ----------

  private organization(req: ApiRequest, asList: boolean): ApiResponse {
    const p = req.principal;
    if (
      !p.roles.some((r) => r === 'Organization.Read.All' || r === 'Directory.Read.All' || r.endsWith('.ReadWrite.All'))
    ) {
      throw forbidden();
    }
    const org = {
      id: this.d.tenantId,
      displayName: this.d.orgDisplayName,
      tenantType: 'AAD',
      countryLetterCode: 'US',
      createdDateTime: '2020-01-01T00:00:00Z',
      verifiedDomains: this.dir.verifiedDomains.map((name, i) => ({
        capabilities: 'Email, OfficeCommunicationsOnlineService',
        isDefault: i === 0,
        isInitial: name.endsWith('.onmicrosoft.com'),
        name,
        type: 'Managed',
      })),
    };
    if (asList) return ok({ '@odata.context': `${this.base()}/$metadata#organization`, value: [org] });
    return ok({ '@odata.context': `${this.base()}/$metadata#organization/$entity`, ...org });
  }

  // ---------- users ----------

  private createUser(req: ApiRequest): ApiResponse {
    this.need(req.principal, WRITE_USERS);
    const body = { ...requireBody(req.body) };
    const mgrBind = body['manager@odata.bind'];
    delete body['manager@odata.bind'];
    const mgr = mgrBind !== undefined ? this.dir.resolveRef(mgrBind) : undefined;
    const u = this.dir.createUser(body);
    if (mgr) this.dir.setManager(u, mgr.data.id);
    return ok(this.shape(u, undefined, 'users/$entity'), 201, { location: `${this.base()}/users/${u.data.id}` });
  }

  private patchUser(req: ApiRequest, key: string): ApiResponse {
    const p = req.principal;
    this.need(p, WRITE_USERS);
    const body = { ...requireBody(req.body) };
    if (body.passwordProfile !== undefined) {
      const allowed =
        p.roles.includes('User-PasswordProfile.ReadWrite.All') ||
        p.directoryRoles.some((r) => PASSWORD_ROLES.includes(r));
      if (!allowed) throw forbidden();
    }
    const u = this.dir.getUser(key);
    const mgrBind = body['manager@odata.bind'];
    delete body['manager@odata.bind'];
    const mgr = mgrBind !== undefined ? this.dir.resolveRef(mgrBind) : undefined;
    this.dir.updateUser(u, body);
    if (mgr) this.dir.setManager(u, mgr.data.id);
    return noContent();
  }

  private sendMail(req: ApiRequest, key: string): ApiResponse {
    this.need(req.principal, ['Mail.Send']);
    const u = this.dir.findUser(key);
    if (!u) throw new GraphError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`);
    if (req.body === undefined || req.body === null) {
      throw badRequest('Empty Payload. JSON content expected.', 'ErrorInvalidRequest');
    }
    const body = requireBody(req.body);
    const message = body.message;
    if (!isObject(message)) throw badRequest("The property 'message' is required.", 'ErrorInvalidParameter');
    const recipients = ['toRecipients', 'ccRecipients', 'bccRecipients'].flatMap((k) =>
      Array.isArray(message[k]) ? (message[k] as unknown[]) : [],
    );
    const valid = (r: unknown) =>
      isObject(r) &&
      isObject(r.emailAddress) &&
      typeof r.emailAddress.address === 'string' &&
      /^[^@\s]+@[^@\s]+$/.test(r.emailAddress.address);
    if (recipients.length === 0 || !recipients.every(valid)) {
      throw badRequest(
        "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        'ErrorInvalidRecipients',
      );
    }
    this.d.sentMail.push({
      from: u.data.userPrincipalName,
      userId: u.data.id,
      message: structuredClone(message),
      saveToSentItems: body.saveToSentItems !== false,
      at: Date.now(),
    });
    return { status: 202, headers: {} };
  }

  // ---------- recycle bin ----------

  private deletedItems(req: ApiRequest, rest: string[]): ApiResponse {
    const [a = '', b = ''] = rest;
    const p = req.principal;
    if (rest.length === 1 && (a === 'microsoft.graph.user' || a === 'microsoft.graph.group')) {
      if (req.method !== 'GET')
        throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
      this.need(p, a === 'microsoft.graph.user' ? READ_USERS : READ_GROUPS);
      const src = a === 'microsoft.graph.user' ? this.dir.deletedUsers : this.dir.deletedGroups;
      const select = parseSelect(req.query.get('$select'), MEMBER_UNION, 'microsoft.graph.directoryObject');
      return ok({
        '@odata.context': `${this.base()}/$metadata#directoryObjects`,
        value: [...src.values()].map((r) => this.project(r, select, true)),
      });
    }
    if (rest.length >= 1) {
      const key = a.toLowerCase();
      const rec: DirRecord | undefined = this.dir.deletedUsers.get(key) ?? this.dir.deletedGroups.get(key);
      if (!rec) throw notFound(a);
      const needWrite = rec.kind === 'user' ? WRITE_USERS : WRITE_GROUPS;
      if (rest.length === 1 && req.method === 'GET') {
        this.need(p, rec.kind === 'user' ? READ_USERS : READ_GROUPS);
        return ok({
          '@odata.context': `${this.base()}/$metadata#directoryObjects/$entity`,
          ...this.project(rec, undefined, true),
        });
      }
      if (rest.length === 1 && req.method === 'DELETE') {
        this.need(p, needWrite);
        this.dir.purge(a);
        return noContent();
      }
      if (rest.length === 2 && (b === 'restore' || b === 'microsoft.graph.restore') && req.method === 'POST') {
        this.need(p, needWrite);
        const restored = this.dir.restore(a);
        return ok({
          '@odata.context': `${this.base()}/$metadata#directoryObjects/$entity`,
          ...this.project(restored, undefined, true),
        });
      }
    }
    throw badRequest(`Resource not found for the segment '${a ?? 'deletedItems'}'.`, 'BadRequest');
  }

  // ---------- delta ----------

  private delta(req: ApiRequest, k: 'users' | 'groups'): ApiResponse {
    const kind: ObjectKind = k === 'users' ? 'user' : 'group';
    const props = kind === 'user' ? USER_PROPS : GROUP_PROPS;
    const skip = req.query.get('$skiptoken');
    const dtok = req.query.get('$deltatoken');
    let st: DeltaState;
    if (skip !== null || (dtok !== null && dtok !== 'latest')) {
      for (const opt of ['$select', '$filter', '$top', '$expand', '$orderby']) {
        if (req.query.has(opt))
          throw badRequest(
            `Query option '${opt}' must be given on the first delta request only; it is carried by the state token.`,
          );
      }
      const t = decodeToken<DeltaState>(DELTA_PREFIX, (skip ?? dtok)!);
      if (!t || t.k !== k) throw badRequest('The delta token is invalid.', 'Request_BadRequest');
      if (t.e !== this.d.deltaEpoch()) {
        throw badRequest(
          'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
          'syncStateNotFound',
        );
      }
      st = skip !== null ? t : { ...t, since: t.since, upto: this.dir.version, c: 0 };
    } else {
      this.rejectSkip(req);
      if (req.query.has('$top'))
        throw badRequest("Query option '$top' is not supported on delta; use the Prefer: odata.maxpagesize header.");
      if (req.query.has('$orderby')) throw unsupportedQuery('$orderby is not supported on delta.');
      if (req.query.has('$filter'))
        throw unsupportedQuery('Only $filter on id is supported on delta; the emulator does not implement it.');
      if (req.query.has('$expand'))
        throw unsupportedQuery('$expand on delta (manager) is not implemented by the emulator.');
      const sel = parseSelect(
        req.query.get('$select'),
        props,
        `microsoft.graph.${kind}`,
        kind === 'group' ? ['members'] : [],
      );
      const members = kind === 'group' && (sel?.includes('members') ?? false);
      const s = sel?.filter((x) => x !== 'members');
      const prefer = /odata\.maxpagesize=(\d+)/i.exec(req.headers['prefer'] ?? '');
      const n = prefer ? Math.min(Math.max(Number(prefer[1]), 1), 999) : 100;
      const now = this.dir.version;
      if (dtok === 'latest') {
        const state: DeltaState = { k, s, m: members, since: now, upto: now, c: 0, n, e: this.d.deltaEpoch() };
        return ok({
          '@odata.context': `${this.base()}/$metadata#${k}`,
          '@odata.deltaLink': `${this.base()}/${k}/delta?$deltatoken=${encodeToken(DELTA_PREFIX, state)}`,
          value: [],
        });
      }
      st = {
        k,
        s: sel ? (s as string[]) : undefined,
        m: members,
        since: 0,
        upto: now,
        c: 0,
        n,
        e: this.d.deltaEpoch(),
      };
      // `$select=members` alone selects the default properties plus members
      if (sel && s && s.length === 0) st.s = undefined;
    }

    const inRange = (ver: number) => ver > st.since && ver <= st.upto;
    // Membership changes of this round, per group: memberId → last change.
    const memberChanges = new Map<string, Map<string, MemberChange>>();
    if (st.m && st.since > 0) {
      const log = this.dir.memberLog;
      let lo = 0;
      let hi = log.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((log[mid]?.ver ?? Infinity) <= st.since) lo = mid + 1;
        else hi = mid;
      }
      for (const ch of log.slice(lo)) {
        if (ch.ver > st.upto) break;
        let per = memberChanges.get(ch.groupId);
        if (!per) memberChanges.set(ch.groupId, (per = new Map()));
        per.set(ch.memberId, ch);
      }
    }
    const index = (kind === 'user' ? this.dir.userOrder : this.dir.groupOrder) as OrderedIndex<DirRecord>;
    type Item = { seq: number; rec?: DirRecord; removed?: { id: string; reason: string } };
    const items: Item[] = [];
    const want = st.n + 1;
    // live objects changed in this round (all of them on the initial round)
    for (const r of index.after(st.c)) {
      const changed = st.since === 0 ? r.ver <= st.upto : inRange(r.ver) || memberChanges.has(r.data.id);
      if (changed) {
        items.push({ seq: r.seq, rec: r });
        if (items.length >= want) break;
      }
    }
    if (st.since > 0) {
      const bound = items.length >= want ? (items.at(-1)?.seq ?? Infinity) : Infinity;
      for (const t of this.dir.tombstones.values()) {
        if (t.kind === kind && t.seq > st.c && t.seq <= bound && inRange(t.ver))
          items.push({ seq: t.seq, removed: { id: t.id, reason: t.reason } });
      }
      items.sort((a, b) => a.seq - b.seq);
    }
    const page = items.slice(0, st.n);
    const more = items.length > st.n;
    const value = page.map((it) => {
      if (it.removed) return { id: it.removed.id, '@removed': { reason: it.removed.reason } };
      const rec = it.rec!;
      const o = this.project(rec, st.s, false);
      if (!('id' in o)) o.id = rec.data.id;
      if (st.m && rec.kind === 'group') {
        if (st.since === 0) {
          o['members@delta'] = [...rec.members].map((id) => ({ '@odata.type': ODATA_TYPE[this.kindOf(id)], id }));
        } else {
          const per = memberChanges.get(rec.data.id);
          o['members@delta'] = [...(per?.values() ?? [])].map((ch) =>
            ch.removed
              ? { '@odata.type': ODATA_TYPE[ch.memberKind], id: ch.memberId, '@removed': { reason: 'deleted' } }
              : { '@odata.type': ODATA_TYPE[ch.memberKind], id: ch.memberId },
          );
        }
      }
      return o;
    });
    const ctxSel = st.s ? `(${[...st.s, ...(st.m ? ['members'] : [])].join(',')})` : '';
    const body: Record<string, unknown> = { '@odata.context': `${this.base()}/$metadata#${k}${ctxSel}` };
    if (more) {
      const nextState: DeltaState = { ...st, c: page.at(-1)?.seq ?? st.c };
      body['@odata.nextLink'] = `${this.base()}/${k}/delta?$skiptoken=${encodeToken(DELTA_PREFIX, nextState)}`;
    } else {
      const doneState: DeltaState = { ...st, since: st.upto, c: 0 };
      body['@odata.deltaLink'] = `${this.base()}/${k}/delta?$deltatoken=${encodeToken(DELTA_PREFIX, doneState)}`;
    }
    body.value = value;
    return ok(body);
  }

  private kindOf(id: string): ObjectKind {
    return this.dir.users.has(id) || this.dir.deletedUsers.has(id) ? 'user' : 'group';
  }
}
