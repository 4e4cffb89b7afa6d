// Import: choose a directory and Preview in one click; watch the read with a
// progress bar (objects read, rate, estimate) and Cancel; then the summary
// counts as filters over the plan's rows (old → new per attribute), untick
// rows, export the preview to CSV, and Commit after a confirmation that
// restates what will happen. A deletion-threshold stop is explained and
// offers the explicit allow.
import {
  Badge,
  Button,
  Card,
  Checkbox,
  Field,
  Input,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  ProgressBar,
  Select,
  Text,
  ToggleButton,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  ArrowDownloadRegular,
  CheckmarkRegular,
  DismissRegular,
  EyeRegular,
  SearchRegular,
} from '@fluentui/react-icons';
import { useEffect, useMemo, useState } from 'react';
import type { PlanRow, RowAction, RowObjectType, RunSummary } from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { CommitProgress } from './CommitProgress.tsx';
import { QueuedProvisioning } from './QueuedProvisioning.tsx';
import { NeedsReview } from '../../components/NeedsReview.tsx';
import { duration, plural, when } from '../../components/format.ts';
import { useDirectories } from '../../store/directories.ts';
import { useImport } from '../../store/import.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { useUi } from '../../store/ui.ts';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0, gap: '12px' },
  toolbar: { display: 'flex', gap: '8px', alignItems: 'flex-end', flexWrap: 'wrap', flexShrink: 0 },
  // Cards and banners keep their height: with many rows the table below shrinks
  // (down to its minimum) and the page scrolls, never the summary.
  card: { padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '8px', flexShrink: 0 },
  banner: { flexShrink: 0 },
  counts: { display: 'flex', gap: '16px', flexWrap: 'wrap' },
  countGroup: { display: 'flex', flexDirection: 'column', gap: '4px', border: 'none', margin: 0, padding: 0 },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: 0, marginBottom: '4px' },
  countButtons: { display: 'flex', gap: '4px', flexWrap: 'wrap' },
  muted: { color: tokens.colorNeutralForeground3 },
  body: { display: 'flex', gap: '12px', flexGrow: 1, minHeight: '320px' },
  table: { display: 'flex', flexDirection: 'column', flexGrow: 1, minWidth: 0, gap: '6px' },
  detail: {
    width: '380px',
    flexShrink: 0,
    overflow: 'auto',
    padding: '12px 16px',
    display: 'flex',
    flexDirection: 'column',
    gap: '8px',
  },
  h2: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, wordBreak: 'break-word' },
  diff: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', margin: 0 },
  old: { color: tokens.colorPaletteRedForeground1, textDecorationLine: 'line-through', wordBreak: 'break-word' },
  new: { color: tokens.colorPaletteGreenForeground1, wordBreak: 'break-word' },
  dd: { margin: 0 },
  dt: { fontWeight: tokens.fontWeightSemibold },
});

export const actionLabel: Record<RowAction, string> = {
  create: 'New',
  update: 'Changed',
  unchanged: 'Unchanged',
  missing: 'Missing',
  conflict: 'Conflict',
  add: 'Add member',
  remove: 'Remove member',
  delete: 'Delete',
};
const actionColor: Record<RowAction, 'success' | 'brand' | 'informative' | 'warning' | 'danger'> = {
  create: 'success',
  update: 'brand',
  unchanged: 'informative',
  missing: 'warning',
  conflict: 'danger',
  add: 'success',
  remove: 'warning',
  delete: 'danger',
};
const typeLabel: Record<RowObjectType, string> = { user: 'User', group: 'Group', membership: 'Membership' };

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

export function valueText(v: unknown): string {
  if (v === null || v === undefined || v === '') return '(empty)';
  if (Array.isArray(v)) return v.length ? v.map(valueText).join(', ') : '(empty)';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function changesSummary(r: PlanRow): string {
  if (r.reason && (r.action === 'conflict' || r.action === 'missing')) return r.reason;
  if (!r.changes) return '';
  return Object.entries(r.changes)
    .map(([k, [a, b]]) => (r.action === 'create' ? `${k}: ${valueText(b)}` : `${k}: ${valueText(a)} → ${valueText(b)}`))
    .join('; ');
}

/** What committing the selection does, in the admin's words. */
function restate(run: RunSummary, excluded: Set<number>, known: Map<number, PlanRow>, deprovision: string): string[] {
  const minus = new Map<string, number>();
  for (const seq of excluded) {
    const r = known.get(seq);
    if (r) minus.set(`${r.objectType}.${r.action}`, (minus.get(`${r.objectType}.${r.action}`) ?? 0) + 1);
  }
  const n = (key: string, total: number) => Math.max(0, total - (minus.get(key) ?? 0));
  const lines: string[] = [];
  const u = run;
  const add = (count: number, text: string) => count > 0 && lines.push(`${text.replace('#', count.toLocaleString())}`);
  add(n('user.create', u.users.create), 'Add # new users to Provision Desk');
  add(n('user.update', u.users.update), 'Update # users with the directory’s values');
  add(
    n('user.missing', u.users.missing),
    `${deprovision === 'delete' ? 'Delete' : 'Disable'} # users that are no longer in the directory`,
  );
  add(n('group.create', u.groups.create), 'Add # new groups');
  add(n('group.update', u.groups.update), 'Update # groups');
  add(n('group.missing', u.groups.missing), 'Delete # groups that are no longer in the directory');
  add(n('membership.add', u.memberships.add), 'Add # group memberships');
  add(n('membership.remove', u.memberships.remove), 'Remove # group memberships');
  const conflicts = n('user.conflict', u.users.conflict) + n('group.conflict', u.groups.conflict);
  if (conflicts) lines.push(`Leave ${conflicts.toLocaleString()} conflicting rows as they are (resolve them first)`);
  return lines;
}

function ProgressView() {
  const styles = useStyles();
  const { progress, expected, cancel } = useImport();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (!progress) return null;
  const secs = (now - progress.startedAt) / 1000;
  const rate = progress.ratePerSecond ?? (secs > 0 ? progress.done / secs : 0);
  const total = progress.total ?? expected;
  const left = total && rate > 0 ? Math.max(0, (total - progress.done) / rate) : undefined;
  return (
    <Card className={styles.card} role="region" aria-label="Preview progress">
      <Field
        label={`${progress.phase === 'starting' ? 'Starting' : progress.phase[0]!.toUpperCase() + progress.phase.slice(1)}${progress.message ? ` — ${progress.message}` : ''}`}
        validationState="none"
        validationMessage={
          `${plural(progress.done, 'object')} read` +
          (rate > 0 ? ` · ${Math.round(rate).toLocaleString()} per second` : '') +
          (left !== undefined
            ? ` · about ${duration(left)} left`
            : ' · estimate after the first preview of this directory') +
          ` · ${duration(secs)} so far`
        }
      >
        <ProgressBar
          value={total ? Math.min(1, progress.done / total) : undefined}
          thickness="large"
          aria-label="Objects read"
        />
      </Field>
      <div>
        <Button icon={<DismissRegular />} onClick={() => void cancel()} disabled={!progress.operationId}>
          Cancel
        </Button>
      </div>
    </Card>
  );
}

function CountButton(props: { objectType: RowObjectType; action: RowAction; n: number; label?: string }) {
  const { filter, setFilter } = useImport();
  const checked = filter.objectType === props.objectType && filter.action === props.action;
  return (
    <ToggleButton
      size="small"
      checked={checked}
      aria-label={`${typeLabel[props.objectType]}s ${(props.label ?? actionLabel[props.action]).toLowerCase()}: ${props.n}`}
      onClick={() =>
        setFilter(
          checked
            ? { objectType: undefined, action: undefined }
            : { objectType: props.objectType, action: props.action },
        )
      }
    >
      {props.label ?? actionLabel[props.action]} <b style={{ marginLeft: 6 }}>{props.n.toLocaleString()}</b>
    </ToggleButton>
  );
}

/** Per other directory, one line: what it gets, and what cannot be done there (shown as a warning). */
function Downstream(props: { items: Array<{ directoryId: string; line: string; notCreated: number }>; label: string }) {
  if (props.items.length === 0) return null;
  return (
    <ul aria-label={props.label} style={{ margin: 0, paddingLeft: 20 }}>
      {props.items.map((d) => (
        <li key={d.directoryId}>
          <Text style={d.notCreated ? { color: tokens.colorPaletteDarkOrangeForeground1 } : undefined}>{d.line}</Text>
        </li>
      ))}
    </ul>
  );
}

function Summary(props: { run: RunSummary }) {
  const styles = useStyles();
  const { filter, setFilter } = useImport();
  const c = props.run;
  const actions = ['create', 'update', 'unchanged', 'missing', 'conflict'] as const;
  return (
    <Card className={styles.card} role="region" aria-label="Preview summary">
      <Text>
        {c.mode === 'delta'
          ? `Changes since the import committed ${when(c.since)}: only objects changed or deleted in ${c.directoryName} since then are read and listed. `
          : `Full preview: every object in ${c.directoryName} is read.${c.modeReason ? ` ${c.modeReason}` : ''} `}
      </Text>
      <Text>
        Read {plural(c.read.users, 'user')} and {plural(c.read.groups, 'group')} from {c.directoryName}.{' '}
        {c.status === 'committed' || useImport.getState().phase === 'committed'
          ? 'This preview is committed.'
          : 'Nothing has changed yet.'}
      </Text>
      <div className={styles.counts}>
        <fieldset className={styles.countGroup}>
          <legend className={styles.legend}>Users</legend>
          <div className={styles.countButtons}>
            {actions.map((a) => (
              <CountButton key={a} objectType="user" action={a} n={c.users[a]} />
            ))}
          </div>
        </fieldset>
        <fieldset className={styles.countGroup}>
          <legend className={styles.legend}>Groups</legend>
          <div className={styles.countButtons}>
            {actions.map((a) => (
              <CountButton key={a} objectType="group" action={a} n={c.groups[a]} />
            ))}
          </div>
        </fieldset>
        <fieldset className={styles.countGroup}>
          <legend className={styles.legend}>Memberships</legend>
          <div className={styles.countButtons}>
            <CountButton objectType="membership" action="add" n={c.memberships.add} label="Add" />
            <CountButton objectType="membership" action="remove" n={c.memberships.remove} label="Remove" />
          </div>
        </fieldset>
      </div>
      {c.downstream && c.downstream.length > 0 && (
        <>
          <Text>Committing every row then provisions the other directories:</Text>
          <Downstream items={c.downstream} label="What the other directories get" />
        </>
      )}
      {(filter.objectType || filter.action) && (
        <div>
          <Button size="small" onClick={() => setFilter({ objectType: undefined, action: undefined })}>
            Show all rows
          </Button>
        </div>
      )}
    </Card>
  );
}

function RowDetail(props: { row: PlanRow }) {
  const styles = useStyles();
  const r = props.row;
  return (
    <Card className={styles.detail} role="region" aria-label="Row details">
      <h2 className={styles.h2}>{r.display}</h2>
      <div>
        <Badge appearance="tint" color={actionColor[r.action]}>
          {typeLabel[r.objectType]} · {actionLabel[r.action]}
        </Badge>
      </div>
      {r.reason && <Text>{r.reason}</Text>}
      {r.anchor && (
        <Text size={200} className={styles.muted} style={{ wordBreak: 'break-all' }}>
          Directory anchor: {r.anchor}
        </Text>
      )}
      {r.changes && Object.keys(r.changes).length > 0 ? (
        <dl className={styles.diff} aria-label="Attribute changes">
          {Object.entries(r.changes).map(([k, [a, b]]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt className={styles.dt}>{k}</dt>
              <dd className={styles.dd}>
                {r.action !== 'create' && (
                  <>
                    {isEmpty(a) ? (
                      <span className={styles.muted}>(empty)</span>
                    ) : (
                      <span className={styles.old}>{valueText(a)}</span>
                    )}
                    {' → '}
                  </>
                )}
                <span className={styles.new}>{valueText(b)}</span>
              </dd>
            </div>
          ))}
        </dl>
      ) : (
        <Text className={styles.muted}>No attribute changes.</Text>
      )}
    </Card>
  );
}

export function ImportPage() {
  const styles = useStyles();
  const dirs = useDirectories();
  const s = useImport();
  const go = useUi((u) => u.go);
  const [focused, setFocused] = useState<PlanRow | undefined>();
  const [confirming, setConfirming] = useState(false);
  // The explicit allow belongs to one preview: a new preview asks again.
  const [allow, setAllow] = useState<{ runId?: string; on: boolean }>({ on: false });
  const [search, setSearch] = useState('');

  useEffect(() => {
    if (!dirs.loaded) void dirs.load();
  }, [dirs]);
  useEffect(() => {
    if (!s.directoryId && dirs.list.length > 0) s.choose(dirs.list[0]!.id);
  }, [dirs.list, s]);
  useEffect(() => {
    const t = setTimeout(() => {
      if (useImport.getState().filter.text !== search) useImport.getState().setFilter({ text: search });
    }, 200);
    return () => clearTimeout(t);
  }, [search]);

  const dir = dirs.list.find((d) => d.id === s.directoryId);
  const run = s.run;
  const allowDeletes = allow.on && allow.runId === run?.runId;
  const setAllowDeletes = (on: boolean) => setAllow({ runId: run?.runId, on });
  const exceeded = run?.threshold.exceeded ?? false;

  const columns = useMemo<Column<PlanRow>[]>(
    () => [
      {
        key: 'sel',
        header: 'Include',
        width: '88px',
        render: (r) => (
          <Checkbox
            aria-label={`Include ${r.display}`}
            checked={!s.excluded.has(r.seq)}
            disabled={s.phase !== 'ready'}
            onClick={(e) => e.stopPropagation()}
            onChange={() => s.toggle(r.seq)}
          />
        ),
      },
      { key: 'type', header: 'Type', width: '116px', render: (r) => typeLabel[r.objectType] },
      {
        key: 'action',
        header: 'Action',
        width: '120px',
        render: (r) => (
          <Badge appearance="tint" color={actionColor[r.action]}>
            {actionLabel[r.action]}
          </Badge>
        ),
      },
      { key: 'display', header: 'Name', width: '24%', render: (r) => r.display },
      { key: 'changes', header: 'Old → new', width: 'calc(76% - 290px)', render: (r) => changesSummary(r) },
    ],
    [s],
  );

  const shownSeqs = s.rows.map((r) => r.seq);
  const shownIncluded = shownSeqs.filter((q) => !s.excluded.has(q)).length;
  const selectedTotal = run ? totalRows(run) - s.excluded.size : 0;

  const exportCsv = async () => {
    if (!run) return;
    try {
      const { filename, csv } = await call('import.exportCsv', {
        runId: run.runId,
        objectType: s.filter.objectType,
        actions: s.filter.action ? [s.filter.action] : undefined,
        text: s.filter.text.trim() || undefined,
        excluded: [...s.excluded],
      });
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      notifySuccess(`Exported the preview to ${filename}.`);
    } catch (err) {
      notifyError(err, 'Could not export the preview.');
    }
  };

  const commit = async () => {
    setConfirming(false);
    const ok = await s.commit(allowDeletes);
    const c = useImport.getState().committed;
    if (ok && c)
      notifySuccess(
        `Committed: ${c.users.create} users added, ${c.users.update} updated, ${c.users.disable + c.users.delete} disabled or deleted; ` +
          `${c.groups.create} groups added; ${c.memberships.add} memberships added, ${c.memberships.remove} removed.`,
      );
  };

  return (
    <div className={styles.page}>
      <PageHeader title="Import" />
      <div className={styles.toolbar}>
        <Field label="Directory">
          <Select
            value={s.directoryId ?? ''}
            onChange={(_, d) => s.choose(d.value || undefined)}
            disabled={s.phase === 'previewing' || s.phase === 'committing'}
          >
            {dirs.list.length === 0 && <option value="">No directory yet</option>}
            {dirs.list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.config.name}
              </option>
            ))}
          </Select>
        </Field>
        <Button
          appearance="primary"
          icon={<EyeRegular />}
          disabled={!s.directoryId || s.phase === 'previewing' || s.phase === 'committing'}
          onClick={() => void s.preview()}
        >
          Preview
        </Button>
        {/* Preview reads only the changes when it can; this one always reads everything. */}
        <Button
          icon={<EyeRegular />}
          disabled={!s.directoryId || s.phase === 'previewing' || s.phase === 'committing'}
          onClick={() => void s.preview('full')}
        >
          Full preview
        </Button>
        {run && (
          <>
            <Button icon={<ArrowDownloadRegular />} onClick={() => void exportCsv()}>
              Export preview to CSV
            </Button>
            <Button
              appearance="primary"
              icon={<CheckmarkRegular />}
              disabled={s.phase !== 'ready' || selectedTotal <= 0 || (exceeded && !allowDeletes)}
              onClick={() => setConfirming(true)}
            >
              Commit…
            </Button>
          </>
        )}
      </div>
      {dirs.loaded && dirs.list.length === 0 && (
        <Text>
          Add a directory first, then switch on <b>Import users</b> or <b>Import groups</b> in its settings.{' '}
          <Button appearance="transparent" onClick={() => go('directories')}>
            Go to Directories
          </Button>
        </Text>
      )}
      {dir && s.phase === 'idle' && !dir.config.toggles.users.import && !dir.config.toggles.groups.import && (
        <MessageBar intent="info" className={styles.banner}>
          <MessageBarBody>
            Import is switched off for {dir.config.name}: turn on “Import users” or “Import groups” in its settings.
          </MessageBarBody>
        </MessageBar>
      )}
      {s.phase === 'idle' && <NeedsReview />}
      {s.phase === 'previewing' && <ProgressView />}
      {s.phase === 'committing' && <CommitProgress />}
      {run?.held && run.status === 'previewed' && s.phase === 'ready' && (
        <MessageBar intent="warning">
          <MessageBarBody>Held by the schedule for review: {run.held.message}</MessageBarBody>
        </MessageBar>
      )}
      {s.phase === 'committed' && s.committed && (
        <MessageBar intent="success" layout="multiline" className={styles.banner}>
          <MessageBarBody>
            <MessageBarTitle>The import is committed</MessageBarTitle>
            {s.committed.users.create} users added, {s.committed.users.update} updated, {s.committed.users.link} linked,{' '}
            {s.committed.users.disable} disabled, {s.committed.users.delete} deleted; {s.committed.groups.create} groups
            added, {s.committed.groups.update} updated; {s.committed.memberships.add} memberships added,{' '}
            {s.committed.memberships.remove} removed
            {s.committed.skipped ? `; ${s.committed.skipped} rows skipped` : ''}
            {s.committed.queued ? `; ${s.committed.queued} changes queued for other directories` : ''}.{' '}
            <Button appearance="transparent" size="small" onClick={() => go('users')}>
              Open Users
            </Button>
            <Downstream items={s.committed.downstream ?? []} label="What the other directories got" />
            {s.committed.queued > 0 && <QueuedProvisioning />}
          </MessageBarBody>
        </MessageBar>
      )}
      {run && exceeded && s.phase === 'ready' && (
        <MessageBar intent="warning" layout="multiline" className={styles.banner}>
          <MessageBarBody>
            <MessageBarTitle>This import stops at the deletion threshold</MessageBarTitle>
            It would {dir?.config.safety.deprovision === 'delete' ? 'delete' : 'disable or delete'}{' '}
            {plural(run.threshold.deletions, 'object')} ({run.threshold.percent.toFixed(1)}% of those linked to{' '}
            {run.directoryName}); the limit is {run.threshold.limitCount.toLocaleString()} objects or{' '}
            {run.threshold.limitPercent}%. This protects against reading an incomplete directory as “everyone left”.
            Check the Missing rows first.
            <div style={{ marginTop: 6 }}>
              <Checkbox
                checked={allowDeletes}
                onChange={(_, d) => setAllowDeletes(d.checked === true)}
                label={`Allow ${plural(run.threshold.deletions, 'deletion')} in this commit`}
              />
            </div>
          </MessageBarBody>
        </MessageBar>
      )}
      {s.thresholdError && (
        <MessageBar intent="warning" layout="multiline" className={styles.banner}>
          <MessageBarBody>
            <MessageBarTitle>{s.thresholdError.message}</MessageBarTitle>
            Tick “Allow deletions” to commit anyway, or untick some Missing rows.
            <div style={{ marginTop: 6 }}>
              <Checkbox
                checked={allowDeletes}
                onChange={(_, d) => setAllowDeletes(d.checked === true)}
                label="Allow deletions in this commit"
              />
            </div>
          </MessageBarBody>
        </MessageBar>
      )}
      {run && <Summary run={run} />}
      {run && (
        <div className={styles.body}>
          <div className={styles.table}>
            <div className={styles.toolbar} style={{ alignItems: 'center' }}>
              <Input
                aria-label="Search the preview"
                placeholder="Search names"
                contentBefore={<SearchRegular />}
                value={search}
                onChange={(_, d) => setSearch(d.value)}
              />
              <Checkbox
                label={`Include all ${plural(s.rows.length, 'row')} shown`}
                checked={shownIncluded === shownSeqs.length ? true : shownIncluded === 0 ? false : 'mixed'}
                disabled={s.phase !== 'ready' || shownSeqs.length === 0}
                onChange={(_, d) => s.setMany(shownSeqs, d.checked === true)}
              />
              <Text className={styles.muted} aria-live="polite">
                {s.rowsLoading ? 'Loading rows… ' : ''}
                {plural(s.total, 'row')} shown · {plural(selectedTotal, 'row')} selected of{' '}
                {totalRows(run).toLocaleString()}
              </Text>
            </div>
            <VirtualTable
              label="Preview rows"
              rows={s.rows}
              columns={columns}
              rowKey={(r) => String(r.seq)}
              selectedKey={focused ? String(focused.seq) : undefined}
              onOpen={setFocused}
              empty={s.rowsLoading ? 'Loading…' : 'No rows match.'}
            />
          </div>
          {focused && <RowDetail row={focused} />}
        </div>
      )}
      {run && (
        <ConfirmDialog
          open={confirming}
          title={`Commit the import from ${run.directoryName}?`}
          confirmLabel="Commit"
          onConfirm={() => void commit()}
          onCancel={() => setConfirming(false)}
          busy={s.phase === 'committing'}
        >
          <Text as="p" block>
            {plural(selectedTotal, 'selected row')} of this preview will be applied to Provision Desk in one step:
          </Text>
          <ul>
            {restate(run, s.excluded, s.known, dir?.config.safety.deprovision ?? 'disable').map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
          {run.downstream && run.downstream.length > 0 && (
            <>
              <Text as="p" block>
                Then the other directories are provisioned (for every row; fewer when rows are unticked):
              </Text>
              <Downstream items={run.downstream} label="What the other directories will get" />
            </>
          )}
          <Text as="p" block>
            Unticked and unchanged rows are left alone. If the store has changed since this preview, nothing is applied
            and you are asked to preview again.
          </Text>
        </ConfirmDialog>
      )}
    </div>
  );
}

function totalRows(run: RunSummary): number {
  const a = (c: RunSummary['users']) => c.create + c.update + c.unchanged + c.missing + c.conflict;
  return a(run.users) + a(run.groups) + run.memberships.add + run.memberships.remove;
}
