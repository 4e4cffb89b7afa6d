// Reports: filter the provisioning report (end user, application, action,
// status, time span), page through it newest first in a virtualised table,
// open an entry's details, export every matching entry (CSV or JSON), and set
// how long entries are kept.
import {
  Badge,
  Button,
  Card,
  Field,
  Input,
  Select,
  SpinButton,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { ArrowDownloadRegular, DeleteRegular, DismissRegular, SearchRegular } from '@fluentui/react-icons';
import { useEffect, useState, type FormEvent, type UIEvent } from 'react';
import {
  REPORTS_DOWNLOAD_PATH,
  type ReportEntry,
  type ReportExportFormat,
  type ReportRow,
} from '../../../src-preload/contract.ts';
import { call, isBrowserMode } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { plural, when } from '../../components/format.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { useReports, type SpanChoice } from './reportsStore.ts';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0, gap: '12px' },
  filters: { display: 'flex', gap: '12px', alignItems: 'flex-end', flexWrap: 'wrap' },
  body: { display: 'flex', gap: '16px', flexGrow: 1, minHeight: '320px' },
  list: { display: 'flex', flexDirection: 'column', gap: '8px', flexGrow: 1, minWidth: 0 },
  panel: {
    width: '380px',
    flexShrink: 0,
    overflow: 'auto',
    padding: '16px',
    display: 'flex',
    flexDirection: 'column',
    gap: '10px',
  },
  panelHead: { display: 'flex', alignItems: 'flex-start', gap: '8px' },
  h2: {
    margin: 0,
    flexGrow: 1,
    fontSize: tokens.fontSizeBase500,
    fontWeight: tokens.fontWeightSemibold,
    wordBreak: 'break-word',
  },
  h3: { margin: '8px 0 0', fontSize: tokens.fontSizeBase300, fontWeight: tokens.fontWeightSemibold },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 12px', margin: 0 },
  dt: { color: tokens.colorNeutralForeground3 },
  dd: { margin: 0, wordBreak: 'break-all' },
  message: {
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-word',
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    backgroundColor: tokens.colorNeutralBackground3,
    padding: '8px',
    borderRadius: tokens.borderRadiusMedium,
    margin: 0,
  },
  changes: {
    borderCollapse: 'collapse',
    width: '100%',
    fontSize: tokens.fontSizeBase200,
    '& th': { whiteSpace: 'nowrap' },
    '& th, & td': {
      textAlign: 'left',
      padding: '4px 6px',
      borderBottom: `1px solid ${tokens.colorNeutralStroke3}`,
      verticalAlign: 'top',
      wordBreak: 'break-word',
    },
  },
  old: { color: tokens.colorPaletteRedForeground1, textDecorationLine: 'line-through' },
  new: { color: tokens.colorPaletteGreenForeground1 },
  footer: {
    display: 'flex',
    gap: '8px',
    alignItems: 'center',
    flexWrap: 'wrap',
    color: tokens.colorNeutralForeground3,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  grow: { flexGrow: 1 },
});

/** Local date and time, short: the list's Time column. */
export const shortTime = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });

export const statusColor = {
  success: 'success',
  failure: 'danger',
  skipped: 'informative',
  pending: 'warning',
} as const;

// Widths are shares of the table (VirtualTable turns them into grid fractions); the time is
// fixed so a date and time always show whole. The message wraps onto two lines (the whole text
// is in the entry's details). Sorting orders the entries loaded so far; the search itself is newest first.
const columns: Column<ReportRow>[] = [
  { key: 'at', header: 'Time', width: '150px', render: (r) => shortTime(r.at), sort: (r) => r.at },
  { key: 'user', header: 'User', width: '22%', render: (r) => r.userIdentifier, sort: (r) => r.userIdentifier },
  {
    key: 'application',
    header: 'Application',
    width: '13%',
    render: (r) => r.application,
    sort: (r) => r.application,
  },
  { key: 'action', header: 'Action', width: '10%', render: (r) => r.action, sort: (r) => r.action },
  {
    key: 'status',
    header: 'Status',
    width: '10%',
    sort: (r) => r.status,
    render: (r) => (
      <Badge appearance="tint" color={statusColor[r.status]}>
        {r.status}
      </Badge>
    ),
  },
  {
    key: 'message',
    header: 'Message',
    width: '25%',
    render: (r) => <span title={r.message}>{r.message}</span>,
    sort: (r) => r.message,
    wrap: true,
  },
];

const spanLabels: Record<SpanChoice, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  range: 'From – to',
  all: 'All time',
};

const show = (v: unknown) =>
  v === undefined || v === null || v === '' ? '—' : typeof v === 'string' ? v : JSON.stringify(v);

function Details(props: { row: ReportRow; onClose: () => void }) {
  const styles = useStyles();
  // The entry remembers which row it belongs to, so a new row shows "loading" until its own entry arrives.
  const [loaded, setLoaded] = useState<{ id: number; entry: ReportEntry } | undefined>();
  const entry = loaded?.id === props.row.id ? loaded.entry : undefined;
  useEffect(() => {
    let live = true;
    call('reports.get', { id: props.row.id })
      .then((e) => live && setLoaded({ id: props.row.id, entry: e }))
      .catch((err) => notifyError(err, 'Could not open the entry.'));
    return () => {
      live = false;
    };
  }, [props.row.id]);
  const e = entry ?? { ...props.row, directoryId: null, changes: null };
  const changes = Object.entries(e.changes ?? {});
  return (
    <Card className={styles.panel} aria-label="Entry details" role="region">
      <div className={styles.panelHead}>
        <h2 className={styles.h2}>{e.userIdentifier || '—'}</h2>
        <Button appearance="subtle" icon={<DismissRegular />} aria-label="Close details" onClick={props.onClose} />
      </div>
      <dl className={styles.facts}>
        <dt className={styles.dt}>Time</dt>
        <dd className={styles.dd}>{when(e.at)}</dd>
        <dt className={styles.dt}>Application</dt>
        <dd className={styles.dd}>{e.application || '—'}</dd>
        <dt className={styles.dt}>Object</dt>
        <dd className={styles.dd}>{e.objectType}</dd>
        <dt className={styles.dt}>Action</dt>
        <dd className={styles.dd}>{e.action}</dd>
        <dt className={styles.dt}>Status</dt>
        <dd className={styles.dd}>
          <Badge appearance="tint" color={statusColor[e.status]}>
            {e.status}
          </Badge>
        </dd>
        <dt className={styles.dt}>Run id</dt>
        <dd className={styles.dd}>{e.runId ?? '—'}</dd>
        {e.trigger && (
          <>
            <dt className={styles.dt}>Started by</dt>
            <dd className={styles.dd}>{e.trigger === 'scheduled' ? 'Schedule' : 'Admin'}</dd>
          </>
        )}
        <dt className={styles.dt}>Request id</dt>
        <dd className={styles.dd}>{e.requestId ?? '—'}</dd>
      </dl>
      <h3 className={styles.h3}>Message from the directory</h3>
      {e.message ? (
        <pre className={styles.message}>{e.message}</pre>
      ) : (
        <Text className={styles.muted}>No message.</Text>
      )}
      <h3 className={styles.h3}>Changed attributes</h3>
      {!entry ? (
        <Text className={styles.muted}>Loading…</Text>
      ) : changes.length === 0 ? (
        <Text className={styles.muted}>No attribute changes recorded.</Text>
      ) : (
        <table className={styles.changes} aria-label="Changed attributes">
          <thead>
            <tr>
              <th scope="col">Attribute</th>
              <th scope="col">Old</th>
              <th scope="col" aria-label="becomes" />
              <th scope="col">New</th>
            </tr>
          </thead>
          <tbody>
            {changes.map(([attr, [before, after]]) => (
              <tr key={attr}>
                <td>{attr}</td>
                <td className={styles.old}>{show(before)}</td>
                <td>→</td>
                <td className={styles.new}>{show(after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

function Retention() {
  const styles = useStyles();
  const [days, setDays] = useState<number | undefined>();
  const [saved, setSaved] = useState<number | undefined>();
  const [confirm, setConfirm] = useState(false);
  const { search } = useReports();
  useEffect(() => {
    call('reports.settings', {})
      .then((s) => (setDays(s.retentionDays), setSaved(s.retentionDays)))
      .catch((err) => notifyError(err, 'Could not load the retention setting.'));
  }, []);
  const save = async () => {
    if (!days) return;
    try {
      const s = await call('reports.saveSettings', { retentionDays: days });
      setSaved(s.retentionDays);
      notifySuccess(`Report entries are now kept for ${plural(s.retentionDays, 'day')}.`);
    } catch (err) {
      notifyError(err);
    }
  };
  const purge = async () => {
    setConfirm(false);
    try {
      const r = await call('reports.purge', {});
      notifySuccess(`Purged ${plural(r.deleted, 'entry', 'entries')} older than ${when(r.before)}.`);
      await search();
    } catch (err) {
      notifyError(err);
    }
  };
  return (
    <div className={styles.footer}>
      <Text id="retention-label">Keep report entries for</Text>
      <SpinButton
        aria-labelledby="retention-label retention-unit"
        value={days ?? null}
        min={1}
        max={3650}
        onChange={(_, d) => setDays(d.value ?? (d.displayValue ? Number(d.displayValue) : undefined))}
        style={{ width: 100 }}
      />
      <Text id="retention-unit">days</Text>
      <Button size="small" disabled={!days || days === saved} onClick={() => void save()}>
        Save
      </Button>
      <Button size="small" icon={<DeleteRegular />} disabled={!saved} onClick={() => setConfirm(true)}>
        Purge older entries now
      </Button>
      <ConfirmDialog
        open={confirm}
        title="Purge old report entries?"
        confirmLabel="Purge"
        onConfirm={() => void purge()}
        onCancel={() => setConfirm(false)}
      >
        Entries older than {plural(saved ?? 0, 'day')} are deleted from the report. This cannot be undone; export them
        first if you need them.
      </ConfirmDialog>
    </div>
  );
}

export function ReportsPage() {
  const styles = useStyles();
  const {
    form,
    facets,
    searched,
    rows,
    next,
    total,
    totalCapped,
    loading,
    searching,
    setForm,
    loadFacets,
    search,
    loadMore,
  } = useReports();
  const [selected, setSelected] = useState<ReportRow | undefined>();
  const [exporting, setExporting] = useState(false);

  useEffect(() => {
    void loadFacets();
    if (!searched) void search();
    // Once, when the page opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setSelected(undefined);
    void search();
  };

  // Loads the next page as the table nears its end (scroll events reach us in the capture phase).
  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    const t = e.target as HTMLElement;
    if (next && !loading && t.scrollHeight - t.scrollTop - t.clientHeight < 600) void loadMore();
  };

  const exportAll = async (format: ReportExportFormat) => {
    if (!searched) return;
    if (isBrowserMode()) {
      const q = new URLSearchParams({ filter: JSON.stringify(searched), format, bom: '1' });
      const a = document.createElement('a');
      a.href = `${REPORTS_DOWNLOAD_PATH}?${q}`;
      a.download = '';
      document.body.append(a);
      a.click();
      a.remove();
      return;
    }
    setExporting(true);
    try {
      const r = await call('reports.exportToFile', { resolved: searched, format, bom: true });
      if (r.saved) notifySuccess(`Exported ${plural(r.entries ?? 0, 'entry', 'entries')} to ${r.path}.`);
    } catch (err) {
      notifyError(err, 'The export failed.');
    } finally {
      setExporting(false);
    }
  };

  const countText = searching
    ? 'Searching…'
    : searched
      ? totalCapped
        ? `More than ${plural(total, 'entry', 'entries')}`
        : plural(total, 'entry', 'entries')
      : '';

  return (
    <div className={styles.page}>
      <PageHeader title="Reports">
        <Button
          appearance="primary"
          icon={<ArrowDownloadRegular />}
          disabled={!searched || exporting}
          onClick={() => void exportAll('csv')}
        >
          Export CSV
        </Button>
        <Button
          icon={<ArrowDownloadRegular />}
          disabled={!searched || exporting}
          onClick={() => void exportAll('json')}
        >
          Export JSON
        </Button>
      </PageHeader>
      <form className={styles.filters} onSubmit={onSubmit} role="search" aria-label="Report filters">
        <Field label="User">
          <Input
            value={form.user}
            placeholder="Part of the user identifier"
            onChange={(_, d) => setForm({ user: d.value })}
            style={{ width: 240 }}
          />
        </Field>
        <Field label="Application">
          <Select value={form.application} onChange={(_, d) => setForm({ application: d.value })}>
            <option value="">All applications</option>
            {facets.applications.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Action">
          <Select value={form.action} onChange={(_, d) => setForm({ action: d.value })}>
            <option value="">All actions</option>
            {facets.actions.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Status">
          <Select value={form.status} onChange={(_, d) => setForm({ status: d.value as typeof form.status })}>
            <option value="">All statuses</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="skipped">skipped</option>
            <option value="pending">pending</option>
          </Select>
        </Field>
        <Field label="Time span">
          <Select value={form.span} onChange={(_, d) => setForm({ span: d.value as SpanChoice })}>
            {(Object.keys(spanLabels) as SpanChoice[]).map((s) => (
              <option key={s} value={s}>
                {spanLabels[s]}
              </option>
            ))}
          </Select>
        </Field>
        {form.span === 'range' && (
          <>
            <Field label="From">
              <Input type="datetime-local" value={form.from} onChange={(_, d) => setForm({ from: d.value })} />
            </Field>
            <Field label="To">
              <Input type="datetime-local" value={form.to} onChange={(_, d) => setForm({ to: d.value })} />
            </Field>
          </>
        )}
        <Button type="submit" appearance="primary" icon={<SearchRegular />} disabled={loading}>
          Search
        </Button>
        <Text className={styles.muted} aria-live="polite" role="status">
          {countText}
        </Text>
      </form>
      <div className={styles.body}>
        <div className={styles.list} onScrollCapture={onScroll}>
          <VirtualTable
            label="Report entries"
            rows={rows}
            columns={columns}
            rowKey={(r) => String(r.id)}
            selectedKey={selected ? String(selected.id) : undefined}
            onOpen={setSelected}
            rowHeight={44}
            empty={loading ? 'Searching…' : searched ? 'No entries match these filters.' : 'Search to see the report.'}
          />
          {next && (
            <Button appearance="subtle" disabled={loading} onClick={() => void loadMore()}>
              Show older entries ({rows.length.toLocaleString()} of {countText.toLowerCase()} shown)
            </Button>
          )}
        </div>
        {selected && <Details row={selected} onClose={() => setSelected(undefined)} />}
      </div>
      <Retention />
    </div>
  );
}
