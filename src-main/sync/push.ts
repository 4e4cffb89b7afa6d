// Push / reconcile: compare the local store with a directory, keep the plan
// as a run (kind 'push'), and apply the selected rows by queueing outbox
// work (so every write is durable, retried and reported like any other).
import { randomUUID } from 'node:crypto';
import type { PushApplyResult, RunSummary } from '../../src-preload/contract/sync.ts';
import type { User } from '../../src-preload/model.ts';
import { ConnectorError, type Connector, type RemoteGroup, type RemoteUser } from '../connectors/connector.ts';
import { AppError } from '../errors.ts';
import type { RowRecord } from '../store/runs.ts';
import type { OutboxOp } from '../store/outbox.ts';
import { emptyCounts, thresholdOf, type SyncDeps } from './common.ts';
import { diff, exportPaths, groupMapping, toRemoteData, userLabel } from './mapping.ts';
import { describeError } from './provision.ts';
import { summaryOf } from './import.ts';
import { assertFresh, assertThreshold, selectRows } from './commit.ts';
import { toggleOn } from './recorder.ts';
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { Group } from '../../src-preload/model.ts';
import { CandidateIndex, matchRules } from './matching.ts';

/** The group fields the directory's mapping writes (displayName, description). */
function groupExportFields(config: DirectoryConfig): Array<'displayName' | 'description'> {
  const out = new Set(
    groupMapping(config)
      .filter((r) => r.direction !== 'import')
      .map((r) => r.model),
  );
  return (['displayName', 'description'] as const).filter((f) => f === 'displayName' || out.has(f));
}

/** What differs between a local group and its object, over the fields the directory writes. */
function groupChanges(
  g: Pick<Group, 'displayName' | 'description'>,
  remote: RemoteGroup,
  fields: Array<'displayName' | 'description'>,
): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const f of fields) {
    const was = remote.data[f] ?? '';
    const now = g[f] ?? '';
    if (was !== now) changes[f] = [was || null, now || null];
  }
  return changes;
}

interface PushUserData {
  anchor?: string;
  ref?: string;
  link?: boolean;
  remote?: RemoteUser['data'];
  reason?: string;
  userName?: string;
}
interface PushGroupData {
  ref: string;
  remote: { displayName: string; description?: string };
}
interface PushMemberData {
  groupId: string;
  groupName: string;
  memberId: string;
  memberType: 'User' | 'Group';
  memberName: string;
}

export async function previewPush(deps: SyncDeps, directoryId: string): Promise<RunSummary> {
  const dir = deps.repos.directories.get(directoryId);
  if (!dir) throw new AppError('not_found', 'The directory was not found.', { id: directoryId });
  const config = dir.config;
  const runId = randomUUID();
  const { repos } = deps;
  repos.runs.create({ id: runId, directoryId, kind: 'push', baseChange: deps.db.localChange() });
  const op = deps.operations.start();
  let connector: Connector | undefined;
  try {
    connector = deps.connectorFor(directoryId);
    const byAnchor = new Map<string, RemoteUser>();
    // The listing is the directory's scope: only what it holds can be matched.
    const candidates = new CandidateIndex(matchRules(config));
    let read = 0;
    for await (const page of connector.listUsers({ signal: op.signal })) {
      for (const u of page) {
        byAnchor.set(u.anchor, u);
        candidates.add(u);
      }
      read += page.length;
      deps.events.emit('app.progress', { operationId: op.id, operation: 'push', phase: 'reading users', done: read });
    }
    const groups: RemoteGroup[] = [];
    if (config.toggles.groups.membership || config.toggles.groups.create || config.toggles.groups.delete)
      for await (const page of connector.listGroups({ signal: op.signal })) groups.push(...page);

    const counts = emptyCounts();
    counts.read = { users: read, groups: groups.length };
    const rows: RowRecord[] = [];
    let seq = 0;
    const push = (r: Omit<RowRecord, 'runId' | 'seq'>) => rows.push({ runId, seq: ++seq, ...r });
    const paths = exportPaths(config);
    const userLinks = repos.links.forDirectory(directoryId, 'user');
    const linkOf = new Map(userLinks.map((l) => [l.localId, l]));
    counts.linked.users = userLinks.filter((l) => l.anchor).length;
    const claimed = new Set<string>();
    for (const u of repos.users.all()) {
      const link = linkOf.get(u.id);
      const mgr = u.managerId ? (linkOf.get(u.managerId)?.ref ?? undefined) : undefined;
      const local = toRemoteData(u, mgr);
      const remote = link?.anchor ? byAnchor.get(link.anchor) : undefined;
      if (remote) {
        claimed.add(remote.anchor);
        const changes = diff(remote.data, local, paths);
        if (Object.keys(changes).length > 0 && config.toggles.users.edit) {
          counts.users.update++;
          push({
            objectType: 'user',
            action: 'update',
            localId: u.id,
            anchor: remote.anchor,
            display: userLabel(u),
            changes,
            data: { anchor: remote.anchor, ref: remote.ref, remote: remote.data } satisfies PushUserData,
          });
        } else {
          counts.users.unchanged++;
          push({
            objectType: 'user',
            action: 'unchanged',
            localId: u.id,
            anchor: remote.anchor,
            display: userLabel(u),
            changes: Object.keys(changes).length ? changes : null,
            data: null,
          });
        }
        continue;
      }
      // Unlinked (or its object is gone): the directory's matching rules, as every create applies them.
      const found = candidates.pick({ kind: 'user', name: u.userName, directory: config.name }, local, claimed);
      if (found instanceof ConnectorError) {
        counts.users.conflict++;
        push({
          objectType: 'user',
          action: 'conflict',
          localId: u.id,
          anchor: null,
          display: userLabel(u),
          changes: null,
          data: { reason: found.message } satisfies PushUserData,
        });
        continue;
      }
      if (found) {
        const m = found;
        claimed.add(m.anchor);
        counts.users.unchanged++;
        push({
          objectType: 'user',
          action: 'unchanged',
          localId: u.id,
          anchor: m.anchor,
          display: userLabel(u),
          changes: diff(m.data, local, paths),
          data: { anchor: m.anchor, ref: m.ref, link: true } satisfies PushUserData,
        });
        continue;
      }
      if (!config.toggles.users.create) continue;
      counts.users.create++;
      const changes: Record<string, [unknown, unknown]> = {};
      for (const [k, [, v]] of Object.entries(
        diff({ userName: '', name: {}, emails: [], phoneNumbers: [], active: true }, local, paths),
      ))
        changes[k] = [null, v];
      push({
        objectType: 'user',
        action: 'create',
        localId: u.id,
        anchor: null,
        display: userLabel(u),
        changes,
        data: { reason: link ? 'Its object is gone from the directory.' : undefined } satisfies PushUserData,
      });
    }
    // Linked objects whose local user is gone: deprovision.
    if (config.toggles.users.delete)
      for (const l of userLinks) {
        if (!l.anchor || repos.users.get(l.localId)) continue;
        const r = byAnchor.get(l.anchor);
        if (!r) continue;
        counts.users.missing++;
        push({
          objectType: 'user',
          action: 'delete',
          localId: l.localId,
          anchor: l.anchor,
          display: userLabel(r.data),
          changes: config.safety.deprovision === 'disable' ? { active: [true, false] } : null,
          data: { anchor: l.anchor, ref: l.ref ?? r.ref, userName: r.data.userName } satisfies PushUserData,
        });
      }
    // Groups and memberships.
    const groupLinks = repos.links.forDirectory(directoryId, 'group');
    counts.linked.groups = groupLinks.filter((l) => l.anchor).length;
    const gByAnchor = new Map(groups.map((g) => [g.anchor, g]));
    const gLinkOf = new Map(groupLinks.map((l) => [l.localId, l]));
    const groupFields = groupExportFields(config);
    for (const g of repos.groups.list()) {
      const link = gLinkOf.get(g.id);
      const remote = link?.anchor ? gByAnchor.get(link.anchor) : undefined;
      if (!remote) {
        if (config.toggles.groups.create) {
          counts.groups.create++;
          push({
            objectType: 'group',
            action: 'create',
            localId: g.id,
            anchor: null,
            display: g.displayName,
            changes: { displayName: [null, g.displayName] },
            data: null,
          });
        }
        continue;
      }
      const gChanges = groupChanges(g, remote, groupFields);
      if (Object.keys(gChanges).length > 0 && config.toggles.groups.create) {
        counts.groups.update++;
        push({
          objectType: 'group',
          action: 'update',
          localId: g.id,
          anchor: remote.anchor,
          display: g.displayName,
          changes: gChanges,
          data: { ref: remote.ref, remote: remote.data } satisfies PushGroupData,
        });
      } else counts.groups.unchanged++;
      if (!config.toggles.groups.membership) continue;
      const remoteRefs = new Set(remote.members.map((m) => m.ref.toLowerCase()));
      const localRefs = new Set<string>();
      for (const m of repos.groups.members(g.id)) {
        const ml = m.type === 'User' ? linkOf.get(m.value) : gLinkOf.get(m.value);
        if (!ml?.ref) continue;
        localRefs.add(ml.ref.toLowerCase());
        if (remoteRefs.has(ml.ref.toLowerCase())) continue;
        counts.memberships.add++;
        push({
          objectType: 'membership',
          action: 'add',
          localId: g.id,
          anchor: remote.anchor,
          display: `${g.displayName} ← ${m.display ?? m.value}`,
          changes: { [`member of ${g.displayName}`]: [false, true] },
          data: {
            groupId: g.id,
            groupName: g.displayName,
            memberId: m.value,
            memberType: m.type,
            memberName: m.display ?? m.value,
          } satisfies PushMemberData,
        });
      }
      const localByRef = new Map<string, { id: string; type: 'User' | 'Group' }>();
      for (const l of userLinks) if (l.ref) localByRef.set(l.ref.toLowerCase(), { id: l.localId, type: 'User' });
      for (const m of remote.members) {
        const ref = m.ref.toLowerCase();
        if (localRefs.has(ref)) continue;
        const lm = localByRef.get(ref);
        if (!lm) continue; // not managed here: left alone
        counts.memberships.remove++;
        const name = repos.users.get(lm.id)?.userName ?? lm.id;
        push({
          objectType: 'membership',
          action: 'remove',
          localId: g.id,
          anchor: remote.anchor,
          display: `${g.displayName} ← ${name}`,
          changes: { [`member of ${g.displayName}`]: [true, false] },
          data: {
            groupId: g.id,
            groupName: g.displayName,
            memberId: lm.id,
            memberType: lm.type,
            memberName: name,
          } satisfies PushMemberData,
        });
      }
    }
    if (config.toggles.groups.delete)
      for (const l of groupLinks) {
        if (!l.anchor || repos.groups.get(l.localId)) continue;
        const r = gByAnchor.get(l.anchor);
        if (!r) continue;
        counts.groups.missing++;
        push({
          objectType: 'group',
          action: 'delete',
          localId: l.localId,
          anchor: l.anchor,
          display: r.data.displayName,
          changes: null,
          data: { anchor: l.anchor, ref: l.ref ?? r.ref, userName: r.data.displayName } satisfies PushUserData,
        });
      }
    counts.deletions = counts.users.missing + counts.groups.missing;
    counts.threshold = thresholdOf(config, counts.deletions, counts.linked.users + counts.linked.groups);
    repos.runs.addRows(rows);
    repos.runs.finish(runId, 'previewed', counts as unknown as Record<string, unknown>);
    deps.events.emit('app.changed', { what: 'runs' });
    return summaryOf(deps, runId);
  } catch (err) {
    repos.runs.deleteRows(runId);
    const e = err instanceof AppError ? { code: err.code, message: err.message } : describeError(err);
    repos.runs.finish(runId, 'failed', undefined, JSON.stringify({ code: e.code, message: e.message }));
    if (err instanceof AppError) throw err;
    throw new AppError('source_failed', `Reading the directory failed: ${e.message} Nothing was queued.`, {
      reason: e.code,
      runId,
    });
  } finally {
    op.done();
    await connector?.close().catch(() => undefined);
  }
}

export function applyPush(
  deps: SyncDeps,
  input: { runId: string; seqs?: number[]; allowDeletes?: boolean },
): PushApplyResult {
  const run = deps.repos.runs.get(input.runId);
  if (!run || run.kind !== 'push')
    throw new AppError('not_found', 'That push preview was not found.', { runId: input.runId });
  const dir = deps.repos.directories.get(run.directoryId);
  if (!dir) throw new AppError('not_found', 'The directory of this preview was removed.');
  assertFresh(deps, run);
  const rows = selectRows(deps, run, input.seqs);
  assertThreshold(run, rows.filter((r) => r.action === 'delete').length, input.allowDeletes ?? false, 'push');
  const { repos } = deps;
  const dirId = dir.id;
  let queued = 0;
  const queue = (objectType: 'user' | 'group' | 'membership', localId: string, op: OutboxOp, payload: unknown) => {
    repos.outbox.add({ directoryId: dirId, objectType, localId, op, payload });
    if (objectType !== 'membership') repos.links.setState(dirId, objectType, localId, 'pending');
    queued++;
  };
  deps.db.transaction(() => {
    for (const r of rows) {
      if (!r.localId) continue;
      const d = (r.data ?? {}) as PushUserData & Partial<PushMemberData>;
      if (r.objectType === 'user') {
        const u = repos.users.get(r.localId);
        if (r.action === 'create' && u) queue('user', u.id, 'user.create', { user: u });
        else if (r.action === 'update' && u && d.remote) {
          const before: User = { ...u, ...d.remote, id: u.id, meta: u.meta, managerId: u.managerId };
          queue('user', u.id, 'user.update', { before, after: u });
        } else if (r.action === 'unchanged' && d.link && d.anchor && d.ref) {
          repos.links.upsert({
            directoryId: dirId,
            objectType: 'user',
            localId: r.localId,
            anchor: d.anchor,
            ref: d.ref,
            state: 'provisioned',
            reason: null,
            hash: null,
          });
          repos.reports.add({
            userIdentifier: r.display,
            objectType: 'user',
            action: 'link',
            application: dir.config.name,
            directoryId: dirId,
            status: 'success',
            runId: run.id,
            message: `Linked to ${d.ref}.`,
          });
        } else if (r.action === 'delete')
          queue('user', r.localId, 'user.delete', { user: { id: r.localId, userName: d.userName ?? r.display } });
      } else if (r.objectType === 'group') {
        const g = repos.groups.get(r.localId);
        if (r.action === 'create' && g)
          queue('group', g.id, 'group.create', {
            group: { id: g.id, displayName: g.displayName, description: g.description },
          });
        else if (r.action === 'update' && g) {
          const was = (r.data as PushGroupData).remote;
          queue('group', g.id, 'group.update', {
            before: { id: g.id, ...was },
            after: { id: g.id, displayName: g.displayName, description: g.description },
          });
        } else if (r.action === 'delete')
          queue('group', r.localId, 'group.delete', { group: { id: r.localId, displayName: d.userName ?? r.display } });
      } else if (r.objectType === 'membership' && (r.action === 'add' || r.action === 'remove')) {
        if (!toggleOn(dir.config, 'membership.add')) continue;
        queue('membership', r.localId, r.action === 'add' ? 'membership.add' : 'membership.remove', {
          groupId: d.groupId,
          groupName: d.groupName,
          memberId: d.memberId,
          memberType: d.memberType,
          memberName: d.memberName,
        });
      }
    }
    repos.runs.finish(run.id, 'committed', { ...run.counts, committed: { queued } });
  });
  deps.events.emit('app.changed', { what: 'outbox' });
  deps.events.emit('app.changed', { what: 'runs' });
  return { runId: run.id, queued };
}
