// Import, step 2: apply exactly the selected rows of a previewed plan in one
// transaction, refusing a plan whose base changed ("preview again") and a
// selection that deletes more than the directory's threshold unless allowed.
// Each applied row writes a report entry; each local change it makes is
// queued to the outbox for the OTHER directories where that operation is on.
import type { CommitResult, CommittedCounts, PlanCounts } from '../../src-preload/contract/sync.ts';
import type { Group, User } from '../../src-preload/model.ts';
import { AppError } from '../errors.ts';
import type { RowRecord, RunRecord } from '../store/runs.ts';
import type { ReportEntryInput } from '../store/reports.ts';
import { applyRemote, importPaths, toRemoteData } from './mapping.ts';
import { thresholdOf, withBulkReportUsers, type SyncDeps } from './common.ts';
import { rowChanges, type GroupRowData, type MembershipRowData, type UserRowData } from './import.ts';
import { orderedId } from './ids.ts';
import { promoteToken } from './delta.ts';
import { committedDownstream } from './downstream.ts';
import type { DownstreamTally } from './recorder.ts';

export function emptyCommitted(): CommittedCounts {
  return {
    users: { create: 0, update: 0, link: 0, disable: 0, delete: 0 },
    groups: { create: 0, update: 0, link: 0, delete: 0 },
    memberships: { add: 0, remove: 0 },
    skipped: 0,
    queued: 0,
  };
}

/** Refuses a plan that no longer describes the store ("preview again"). */
export function assertFresh(deps: SyncDeps, run: RunRecord): void {
  const again = 'Preview again.';
  if (run.status === 'committed')
    throw new AppError('stale_plan', `This plan was already applied. ${again}`, { runId: run.id, status: run.status });
  if (run.status !== 'previewed')
    throw new AppError('stale_plan', `This plan is not a finished preview (${run.status}). ${again}`, {
      runId: run.id,
      status: run.status,
    });
  const latest = deps.repos.runs.latest(run.directoryId, run.kind);
  if (latest && latest.id !== run.id)
    throw new AppError('stale_plan', `A newer preview of this directory exists. ${again}`, {
      runId: run.id,
      newer: latest.id,
    });
  const now = deps.db.localChange();
  if (now !== run.baseChange)
    throw new AppError('stale_plan', `Users or groups changed since this preview was made. ${again}`, {
      runId: run.id,
      base: run.baseChange,
      now,
    });
}

export function selectRows(deps: SyncDeps, run: RunRecord, seqs?: number[]): RowRecord[] {
  const all = deps.repos.runs.rows(run.id);
  if (!seqs) return all;
  const want = new Set(seqs);
  return all.filter((r) => want.has(r.seq));
}

export function assertThreshold(run: RunRecord, deletions: number, allowDeletes: boolean, what: string): void {
  const counts = run.counts as unknown as PlanCounts;
  const linked = (counts.linked?.users ?? 0) + (counts.linked?.groups ?? 0);
  const t = thresholdOf(
    {
      safety: {
        deleteThresholdCount: counts.threshold?.limitCount ?? 500,
        deleteThresholdPercent: counts.threshold?.limitPercent ?? 10,
        deprovision: 'disable',
      },
    } as never,
    deletions,
    linked,
  );
  if (t.exceeded && !allowDeletes)
    throw new AppError(
      'threshold',
      `This ${what} would delete or disable ${t.deletions} objects (${t.percent}% of those linked), above the limit of ${t.limitCount} or ${t.limitPercent}%. Nothing was changed; allow the deletions explicitly to go ahead.`,
      t,
    );
}

export function commitImport(
  deps: SyncDeps,
  input: { runId: string; seqs?: number[]; allowDeletes?: boolean },
): CommitResult {
  const run = deps.repos.runs.get(input.runId);
  if (!run || run.kind !== 'import')
    throw new AppError('not_found', 'That import preview was not found.', { runId: input.runId });
  const dir = deps.repos.directories.get(run.directoryId);
  if (!dir) throw new AppError('not_found', 'The directory of this preview was removed.', { runId: run.id });
  assertFresh(deps, run);
  const rows = selectRows(deps, run, input.seqs);
  const deletions = rows.filter((r) => r.action === 'missing').length;
  assertThreshold(run, deletions, input.allowDeletes ?? false, 'import');

  const config = dir.config;
  const dirId = dir.id;
  const paths = importPaths(config);
  const { repos } = deps;
  const done = emptyCommitted();
  // What each other directory gets, and what is left out there (disabled users it cannot hold).
  const tally: DownstreamTally = new Map();
  const skip = { skipDirectoryId: dirId, tally };
  // One transaction, one time: every entry of this commit carries it.
  const at = new Date().toISOString();
  // Report entries go out in order, many rows per INSERT (one statement per row costs several times more).
  const entries: ReportEntryInput[] = [];
  const flushReport = () => {
    repos.reports.addMany(entries);
    entries.length = 0;
  };
  const report = (r: RowRecord, e: Partial<ReportEntryInput> & Pick<ReportEntryInput, 'action' | 'objectType'>) => {
    entries.push({
      at,
      userIdentifier: r.display,
      application: config.name,
      directoryId: dirId,
      status: 'success',
      runId: run.id,
      changes: rowChanges(r, () => paths) ?? undefined,
      ...e,
    });
    if (entries.length >= 500) flushReport();
  };
  // Changes are queued for the OTHER directories only: with none (asked once, inside the
  // transaction, where the directories cannot change) there is nothing to record.
  let others = false;
  const record = (c: Parameters<SyncDeps['changes']['record']>[0]) => {
    if (others) done.queued += deps.changes.record(c, skip);
  };
  // This directory's links that the plan can touch, read once (see PlanLinks).
  let links: PlanLinks;
  const linkTo = (type: 'user' | 'group', localId: string, anchor: string, ref: string, created = false) => {
    const other = links.byAnchor(type, anchor);
    if (other !== undefined && other !== localId) unlink(type, other);
    repos.links.upsert({
      directoryId: dirId,
      objectType: type,
      localId,
      anchor,
      ref,
      state: 'provisioned',
      reason: null,
      hash: null,
    });
    links.linked(type, localId, anchor, created);
  };
  const unlink = (type: 'user' | 'group', localId: string) => {
    repos.links.delete(dirId, type, localId);
    links.unlinked(type, localId);
  };
  const managerId = (ref: string | undefined): string | undefined =>
    ref ? (repos.links.byRef(dirId, 'user', ref)?.localId ?? undefined) : undefined;

  // The report entries' identifiers go into the trigram search table once, at the end, with the
  // per-row trigger (and, into a table not bigger than the commit, the indexes) set aside for the
  // transaction (see withBulkReportUsers); a page cache sized for 100,000 users keeps the
  // random-order index pages in memory (see Db.bulkTransaction).
  deps.db.bulkTransaction(() =>
    withBulkReportUsers(
      deps.db,
      () => {
        others = deps.db.get('SELECT 1 AS x FROM directories WHERE id <> ? LIMIT 1', dirId) !== undefined;
        links = PlanLinks.read(deps, dirId, rows);
        // Users: create, update, link.
        const withManager: Array<{ id: string; ref: string }> = [];
        const usersPass = () => {
          for (const r of rows) {
            if (r.objectType !== 'user') continue;
            const d = r.data as UserRowData | null;
            if (r.action === 'create' && d?.remote) {
              const a = applyRemote(undefined, d.remote, paths);
              if (!a.ok) throw new AppError('validation', `"${r.display}" cannot be created: ${a.problems.join('; ')}`);
              const id = orderedId();
              // Not read back: the stored user is needed only when another directory gets the change.
              const stored = repos.users.insertLazy(a.input, id);
              linkTo('user', id, d.anchor, d.ref, true);
              if (others) record({ type: 'user.create', user: stored() });
              report(r, {
                action: 'create',
                objectType: 'user',
                userIdentifier: a.input.userName,
                message: `Imported from ${config.name}.`,
              });
              if (paths.includes('manager') && a.managerRef) withManager.push({ id, ref: a.managerRef });
              done.users.create++;
            } else if (r.action === 'update' && d?.remote && r.localId) {
              const before = repos.users.get(r.localId);
              if (!before) continue;
              const base = toRemoteData(before);
              const a = applyRemote(base, d.remote, paths);
              if (!a.ok) throw new AppError('validation', `"${r.display}" cannot be updated: ${a.problems.join('; ')}`);
              const input = { ...a.input, managerId: before.managerId };
              const after = repos.users.update(r.localId, input);
              linkTo('user', r.localId, d.anchor, d.ref);
              record({ type: 'user.update', before, after });
              report(r, {
                action: 'update',
                objectType: 'user',
                userIdentifier: after.userName,
                message: `Updated from ${config.name}.`,
              });
              if (paths.includes('manager') && r.changes?.manager)
                withManager.push({ id: r.localId, ref: a.managerRef ?? '' });
              done.users.update++;
            } else if (r.action === 'unchanged' && d?.link && r.localId) {
              linkTo('user', r.localId, d.anchor, d.ref);
              report(r, { action: 'link', objectType: 'user', message: `Linked to ${d.ref}.`, changes: undefined });
              done.users.link++;
            }
          }
        };
        // This pass reads users and links by id only (links through PlanLinks), unless another
        // directory gets its changes (the recorder looks links up): then, into tables no bigger than
        // the plan, their random-order indexes (anchors, DNs, e-mails) are built once after it
        // instead of row by row (Db.withoutIndexes).
        const userRows = rows.reduce((n, r) => n + (r.objectType === 'user' ? 1 : 0), 0);
        if (others) usersPass();
        else
          deps.db.withoutIndexes('links', ['links_anchor', 'links_ref'], userRows, () =>
            deps.db.withoutIndexes('users', ['users_email'], userRows, usersPass),
          );
        // Managers, once every user of the plan exists and is linked.
        for (const m of withManager) {
          const before = repos.users.get(m.id);
          if (!before) continue;
          const mid = managerId(m.ref || undefined);
          if ((before.managerId ?? undefined) === mid || mid === m.id) continue;
          const { id: _id, meta: _meta, ...input } = before;
          const after = repos.users.update(m.id, { ...input, managerId: mid });
          record({ type: 'user.update', before, after });
        }
        // Groups: create, update, link.
        for (const r of rows) {
          if (r.objectType !== 'group') continue;
          const d = r.data as GroupRowData | null;
          if (r.action === 'create' && d?.remote) {
            const g = repos.groups.insert(
              { displayName: d.remote.displayName, description: d.remote.description },
              orderedId(),
            );
            linkTo('group', g.id, d.anchor, d.ref);
            record({ type: 'group.create', group: g });
            report(r, { action: 'create', objectType: 'group', message: `Imported from ${config.name}.` });
            done.groups.create++;
          } else if (r.action === 'update' && d?.remote && r.localId) {
            const before = repos.groups.get(r.localId);
            if (!before) continue;
            const after = repos.groups.update(r.localId, {
              displayName: d.remote.displayName,
              description: d.remote.description,
            });
            linkTo('group', r.localId, d.anchor, d.ref);
            record({ type: 'group.update', before, after });
            report(r, { action: 'update', objectType: 'group', message: `Updated from ${config.name}.` });
            done.groups.update++;
          } else if (r.action === 'unchanged' && d?.link && r.localId) {
            linkTo('group', r.localId, d.anchor, d.ref);
            report(r, { action: 'link', objectType: 'group', message: `Linked to ${d.ref}.`, changes: undefined });
            done.groups.link++;
          }
        }
        // Memberships, resolving objects created above through their new links.
        const touched = new Set<string>();
        // Groups without their member lists: a big group is read once, not once per member row.
        const groupCache = new Map<string, Group | undefined>();
        const groupById = (id: string): Group | undefined => {
          if (!groupCache.has(id)) {
            const g = deps.db.get<{
              id: string;
              display_name: string;
              description: string;
              created: string;
              modified: string;
              version: number;
            }>('SELECT * FROM groups WHERE id = ?', id);
            groupCache.set(
              id,
              g && {
                id: g.id,
                displayName: g.display_name,
                description: g.description || undefined,
                members: [],
                meta: { created: g.created, lastModified: g.modified, version: g.version },
              },
            );
          }
          return groupCache.get(id);
        };
        const exists = (type: 'user' | 'group', id: string) =>
          !!deps.db.get(
            type === 'user' ? 'SELECT 1 AS x FROM users WHERE id = ?' : 'SELECT 1 AS x FROM groups WHERE id = ?',
            id,
          );
        for (const r of rows) {
          if (r.objectType !== 'membership' || (r.action !== 'add' && r.action !== 'remove')) continue;
          const d = r.data as MembershipRowData;
          const groupId = d.groupLocalId ?? links.byAnchor('group', d.groupAnchor);
          const type = d.memberType === 'User' ? 'user' : 'group';
          const memberId = d.memberLocalId ?? (d.memberAnchor ? links.byAnchor(type, d.memberAnchor) : undefined);
          const group: Group | undefined = groupId ? groupById(groupId) : undefined;
          const memberExists = memberId ? exists(type, memberId) : false;
          if (!group || !memberId || !memberExists) {
            done.skipped++;
            report(r, {
              action: r.action === 'add' ? 'add member' : 'remove member',
              objectType: 'membership',
              userIdentifier: d.memberName,
              status: 'skipped',
              message: !group
                ? `The group ${d.groupName} is not in the store (its row was not selected).`
                : `${d.memberName} is not in the store (its row was not selected).`,
            });
            continue;
          }
          const member = { value: memberId, type: d.memberType, display: d.memberName };
          const changed =
            r.action === 'add'
              ? repos.groups.addMember(group.id, member)
              : repos.groups.removeMember(group.id, memberId);
          if (changed) {
            record({ type: r.action === 'add' ? 'membership.add' : 'membership.remove', group, member });
            touched.add(group.id);
            done.memberships[r.action]++;
          }
          report(r, {
            action: r.action === 'add' ? 'add member' : 'remove member',
            objectType: 'membership',
            userIdentifier: d.memberName,
            status: changed ? 'success' : 'skipped',
            message: r.action === 'add' ? `Added to ${d.groupName}.` : `Removed from ${d.groupName}.`,
          });
        }
        for (const g of touched) repos.groups.touch(g);
        // Missing: deprovision users per the directory's setting, delete groups.
        for (const r of rows) {
          if (r.action !== 'missing' || !r.localId) continue;
          if (r.objectType === 'user') {
            const d = r.data as UserRowData;
            const before: User | undefined = repos.users.get(r.localId);
            unlink('user', r.localId);
            if (!before) continue;
            if (d.deprovision === 'delete') {
              record({ type: 'user.delete', user: before });
              repos.users.delete(r.localId);
              report(r, {
                action: 'delete',
                objectType: 'user',
                userIdentifier: before.userName,
                message: `Gone from ${config.name}; deleted.`,
              });
              done.users.delete++;
            } else {
              if (before.active) {
                const { id: _id, meta: _meta, ...input } = before;
                const after = repos.users.update(r.localId, { ...input, active: false });
                record({ type: 'user.update', before, after });
              }
              report(r, {
                action: 'disable',
                objectType: 'user',
                userIdentifier: before.userName,
                message: `Gone from ${config.name}; disabled.`,
              });
              done.users.disable++;
            }
          } else if (r.objectType === 'group') {
            const g = repos.groups.get(r.localId);
            unlink('group', r.localId);
            if (!g) continue;
            record({ type: 'group.delete', group: g });
            repos.groups.delete(r.localId);
            report(r, { action: 'delete', objectType: 'group', message: `Gone from ${config.name}; deleted.` });
            done.groups.delete++;
          }
        }
        flushReport();
        if (tally.size > 0) done.downstream = committedDownstream(deps, tally);
        deps.db.bumpLocalChange();
        deps.repos.runs.finish(run.id, 'committed', { ...run.counts, committed: done });
        // The change-tracking token moves with what it describes (delta.ts).
        promoteToken(deps.repos, run.id, rows.length);
      },
      { entries: rows.length },
    ),
  );
  deps.events.emit('app.changed', { what: 'users' });
  deps.events.emit('app.changed', { what: 'groups' });
  deps.events.emit('app.changed', { what: 'runs' });
  deps.events.emit('app.changed', { what: 'reports' });
  if (done.queued > 0) deps.events.emit('app.changed', { what: 'outbox' });
  return { runId: run.id, committed: done };
}

/**
 * The links of one directory that a plan can touch — by the anchors its rows name and the local
 * objects they update — read with one query per object type instead of one look-up per row, then
 * kept in step with every link the commit writes or removes, so byAnchor answers what a look-up
 * in the table would.
 */
class PlanLinks {
  private readonly anchorToLocal = { user: new Map<string, string>(), group: new Map<string, string>() };
  private readonly localToAnchor = { user: new Map<string, string>(), group: new Map<string, string>() };

  static read(deps: SyncDeps, dirId: string, rows: readonly RowRecord[]): PlanLinks {
    const anchors = { user: new Set<string>(), group: new Set<string>() };
    const locals = { user: new Set<string>(), group: new Set<string>() };
    for (const r of rows) {
      if (r.objectType === 'membership') {
        const d = r.data as MembershipRowData | null;
        if (!d) continue;
        if (!d.groupLocalId) anchors.group.add(d.groupAnchor);
        if (!d.memberLocalId && d.memberAnchor) anchors[d.memberType === 'User' ? 'user' : 'group'].add(d.memberAnchor);
        continue;
      }
      const d = r.data as { anchor?: string } | null;
      if (d?.anchor) anchors[r.objectType].add(d.anchor);
      if (r.localId) locals[r.objectType].add(r.localId);
    }
    const links = new PlanLinks();
    for (const type of ['user', 'group'] as const)
      for (const l of deps.repos.links.forPlan(dirId, type, [...anchors[type]], [...locals[type]]))
        if (l.anchor !== null) links.linked(type, l.localId, l.anchor);
    return links;
  }

  byAnchor(type: 'user' | 'group', anchor: string): string | undefined {
    return this.anchorToLocal[type].get(anchor);
  }

  /** created: a local object made by this commit, linked once and never unlinked by it. */
  linked(type: 'user' | 'group', localId: string, anchor: string, created = false): void {
    if (!created) {
      this.unlinked(type, localId);
      this.localToAnchor[type].set(localId, anchor);
    }
    this.anchorToLocal[type].set(anchor, localId);
  }

  unlinked(type: 'user' | 'group', localId: string): void {
    const was = this.localToAnchor[type].get(localId);
    if (was !== undefined && this.anchorToLocal[type].get(was) === localId) this.anchorToLocal[type].delete(was);
    this.localToAnchor[type].delete(localId);
  }
}
