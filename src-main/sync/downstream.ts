// What an import will cause in the OTHER directories, said before it happens:
// the preview counts, per directory where provisioning is on, the outbox work
// committing the plan will queue there, and what cannot be done there — today,
// disabled users where the directory cannot hold a disabled account (asked of
// that directory once, see account-lock.ts). The commit then reports what it
// actually queued and left out, from the change recorder's tally.
import type { DownstreamPlan, DownstreamQueued } from '../../src-preload/contract/sync.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Connector } from '../connectors/connector.ts';
import type { DirectoryRecord } from '../store/directories.ts';
import type { RowRecord } from '../store/runs.ts';
import { checkAccountLock } from './account-lock.ts';
import type { SyncDeps } from './common.ts';
import type { GroupRowData, MembershipRowData, UserRowData } from './import.ts';
import { importPaths } from './mapping.ts';
import type { DownstreamTally } from './recorder.ts';

const n = (x: number) => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;
/** "This directory cannot …" → "this directory cannot …" inside a sentence. */
const inner = (s: string) => s.charAt(0).toLowerCase() + s.slice(1).replace(/\.$/, '');

function provisions(c: DirectoryConfig): boolean {
  const t = c.toggles;
  return t.users.create || t.users.edit || t.users.delete || t.groups.create || t.groups.delete || t.groups.membership;
}

/** The other directories that can receive work from an import of `sourceId`. */
export function receivingDirectories(deps: SyncDeps, sourceId: string): DirectoryRecord[] {
  return deps.repos.directories.all().filter((d) => d.id !== sourceId && provisions(d.config));
}

/** Per other directory: what committing the whole plan of runId will queue there. */
export async function planDownstream(
  deps: SyncDeps,
  runId: string,
  source: { id: string; config: DirectoryConfig },
): Promise<DownstreamPlan[]> {
  const targets = receivingDirectories(deps, source.id);
  if (targets.length === 0) return [];
  const rows = deps.repos.runs.rows(runId);
  // The commit sets an imported manager with an edit right after the user's create.
  const managerEdit = importPaths(source.config).includes('manager');
  const out: DownstreamPlan[] = [];
  for (const d of targets) out.push(await planFor(deps, d, rows, managerEdit));
  return out;
}

async function planFor(
  deps: SyncDeps,
  dir: DirectoryRecord,
  rows: readonly RowRecord[],
  managerEdit: boolean,
): Promise<DownstreamPlan> {
  const t = dir.config.toggles;
  const p: DownstreamPlan = {
    directoryId: dir.id,
    directoryName: dir.config.name,
    users: { create: 0, update: 0, deprovision: 0 },
    groups: { create: 0, update: 0, delete: 0 },
    memberships: { add: 0, remove: 0 },
    disabledUsers: 0,
    disabled: 'created',
    notCreated: 0,
    leftOutWithThem: 0,
    line: '',
  };
  const userCreates = rows.filter((r) => r.objectType === 'user' && r.action === 'create');
  const disabledAnchors = new Set<string>();
  if (t.users.create)
    for (const r of userCreates) {
      const d = r.data as UserRowData;
      if (d.remote && d.remote.active === false) disabledAnchors.add(d.anchor);
    }
  p.disabledUsers = disabledAnchors.size;
  let leaveOut = false;
  if (disabledAnchors.size > 0) {
    let connector: Connector | undefined;
    try {
      connector = deps.connectorFor(dir.id);
      const lock = await checkAccountLock(deps.db, dir.id, dir.config, connector);
      if (lock.canHold === false) {
        leaveOut = true;
        p.disabled = 'notCreated';
        p.notCreated = disabledAnchors.size;
        p.reason = lock.line;
      } else if (lock.canHold && lock.attribute) {
        p.lockedThrough = lock.attribute;
      } else if (lock.canHold === undefined) {
        p.disabled = 'unknown';
        p.reason = lock.line;
      }
    } catch (e) {
      p.disabled = 'unknown';
      p.reason = `Could not check whether ${dir.config.name} can hold a disabled account: ${(e as Error).message}`;
    } finally {
      await connector?.close().catch(() => undefined);
    }
  }
  const left = (anchor: string | undefined) => leaveOut && anchor !== undefined && disabledAnchors.has(anchor);

  // Users: creates (a new user's manager is set by an edit right after), edits of users held there.
  if (t.users.create)
    for (const r of userCreates) {
      const d = r.data as UserRowData;
      const edit = t.users.edit && managerEdit && d.remote?.managerRef ? 1 : 0;
      if (left(d.anchor)) p.leftOutWithThem += edit;
      else {
        p.users.create++;
        p.users.update += edit;
      }
    }
  const userLocals = rows.filter(
    (r) => r.objectType === 'user' && r.localId && (r.action === 'update' || r.action === 'missing'),
  );
  const held = heldLocally(deps, dir.id, 'user', userLocals);
  for (const r of userLocals) {
    if (!held.has(r.localId!)) continue;
    if (r.action === 'update' && t.users.edit) p.users.update++;
    else if (r.action === 'missing') {
      const mode = (r.data as UserRowData).deprovision;
      if (mode === 'delete' ? t.users.delete : t.users.edit) p.users.deprovision++;
    }
  }

  // Groups: creates, renames of groups held there, deletes.
  const groupRows = rows.filter((r) => r.objectType === 'group');
  const heldGroups = heldLocally(
    deps,
    dir.id,
    'group',
    groupRows.filter((r) => r.localId),
  );
  const gettingGroups = new Set<string>();
  for (const r of groupRows) {
    const d = r.data as GroupRowData | null;
    if (r.action === 'create' && t.groups.create) {
      p.groups.create++;
      if (d) gettingGroups.add(d.anchor);
    } else if (r.localId && heldGroups.has(r.localId)) {
      if (d) gettingGroups.add(d.anchor);
      if (r.action === 'update' && t.groups.create) p.groups.update++;
      else if (r.action === 'missing' && t.groups.delete) p.groups.delete++;
    }
  }

  // Memberships of groups held there or created there by this commit.
  if (t.groups.membership) {
    const mRows = rows.filter((r) => r.objectType === 'membership' && (r.action === 'add' || r.action === 'remove'));
    const linkedGroups = heldLocally(
      deps,
      dir.id,
      'group',
      mRows.filter((r) => (r.data as MembershipRowData).groupLocalId),
      (r) => (r.data as MembershipRowData).groupLocalId,
    );
    for (const r of mRows) {
      const m = r.data as MembershipRowData;
      const reaches = m.groupLocalId ? linkedGroups.has(m.groupLocalId) : gettingGroups.has(m.groupAnchor);
      if (!reaches) continue;
      if (m.memberType === 'User' && left(m.memberAnchor)) p.leftOutWithThem++;
      else p.memberships[r.action as 'add' | 'remove']++;
    }
  }
  p.line = planLine(p);
  return p;
}

/** Local objects of these rows that the directory holds (linked) or is about to get (queued). */
function heldLocally(
  deps: SyncDeps,
  directoryId: string,
  type: 'user' | 'group',
  rows: readonly RowRecord[],
  idOf: (r: RowRecord) => string | null | undefined = (r) => r.localId,
): Set<string> {
  const ids = [...new Set(rows.map(idOf).filter((x): x is string => !!x))];
  const held = new Set<string>();
  for (const [id, l] of deps.repos.links.forLocals(directoryId, type, ids))
    if (l.anchor || l.state === 'pending') held.add(id);
  return held;
}

function planLine(p: DownstreamPlan): string {
  const parts: string[] = [];
  if (p.users.create) {
    const locked =
      p.lockedThrough && p.disabledUsers ? ` (${n(p.disabledUsers)} disabled, written to ${p.lockedThrough})` : '';
    parts.push(`${plural(p.users.create, 'user')} to create${locked}`);
  }
  if (p.users.update) parts.push(`${plural(p.users.update, 'user edit')}`);
  if (p.users.deprovision) parts.push(`${plural(p.users.deprovision, 'user')} to disable or delete`);
  if (p.groups.create) parts.push(`${plural(p.groups.create, 'group')} to create`);
  if (p.groups.update) parts.push(`${plural(p.groups.update, 'group edit')}`);
  if (p.groups.delete) parts.push(`${plural(p.groups.delete, 'group')} to delete`);
  if (p.memberships.add) parts.push(`${plural(p.memberships.add, 'member')} to add`);
  if (p.memberships.remove) parts.push(`${plural(p.memberships.remove, 'member')} to remove`);
  let line = `${p.directoryName}: ${parts.length ? parts.join(', ') : 'nothing to provision'}`;
  if (p.disabled === 'notCreated') line += `; ${leftOutText(p.notCreated, p.leftOutWithThem, p.reason)}`;
  else if (p.disabled === 'unknown' && p.reason)
    line += `; ${plural(p.disabledUsers, 'disabled user')} queued unchecked (${inner(p.reason)})`;
  return `${line}.`;
}

function leftOutText(notCreated: number, withThem: number, reason: string | undefined): string {
  const users = `${plural(notCreated, 'disabled user')} not created`;
  const why = reason ? ` (${inner(reason)})` : '';
  const also = withThem ? `, with ${plural(withThem, 'edit or membership', 'edits and memberships')} of theirs` : '';
  return `${users}${why}${also}`;
}

/** Per other directory: what the commit queued and left out (from the recorder's tally). */
export function committedDownstream(deps: SyncDeps, tally: DownstreamTally): DownstreamQueued[] {
  const out: DownstreamQueued[] = [];
  for (const [id, t] of tally) {
    const name = deps.repos.directories.get(id)?.config.name ?? id;
    const queued = Object.fromEntries(Object.entries(t.queued).filter(([, v]) => (v ?? 0) > 0)) as Record<
      string,
      number
    >;
    const total = Object.values(queued).reduce((a, b) => a + b, 0);
    const q = (op: string, what: string) => (queued[op] ? [`${n(queued[op])} ${what}`] : []);
    const parts = [
      ...q('user.create', 'user creates'),
      ...q('user.update', 'user edits'),
      ...q('user.delete', 'user deletes'),
      ...q('group.create', 'group creates'),
      ...q('group.update', 'group edits'),
      ...q('group.delete', 'group deletes'),
      ...q('membership.add', 'member adds'),
      ...q('membership.remove', 'member removals'),
    ];
    let line = `${name}: ${total ? `${parts.join(', ')} queued` : 'nothing queued'}`;
    if (t.notCreated) line += `; ${leftOutText(t.notCreated, t.leftOutWithThem, t.reason)}`;
    out.push({
      directoryId: id,
      directoryName: name,
      queued,
      notCreated: t.notCreated,
      leftOutWithThem: t.leftOutWithThem,
      ...(t.reason ? { reason: t.reason } : {}),
      line: `${line}.`,
    });
  }
  return out.sort((a, b) => a.directoryName.localeCompare(b.directoryName));
}
