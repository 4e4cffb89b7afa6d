// Dashboard: a first-run checklist until the basics are set up, totals,
// live provisioning progress per directory, counts and work per directory,
// the last runs and the provisioning activity of the last 30 days.
import {
  Badge,
  Button,
  Card,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { ArrowClockwiseRegular } from '@fluentui/react-icons';
import { useCallback, useEffect, useState } from 'react';
import {
  directoryKindLabel,
  type DashboardSummary,
  type RunSummary,
  type StateCounts,
} from '../../../src-preload/contract.ts';
import { call, on } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ActivityChart } from '../../components/ActivityChart.tsx';
import { ProvisioningProgress, useProvisioningProgress } from '../../components/ProvisioningProgress.tsx';
import { FirstRunChecklist } from './FirstRunChecklist.tsx';
import { NeedsReview } from '../../components/NeedsReview.tsx';
import { when } from '../../components/format.ts';
import { notifyError } from '../../store/notices.ts';
import { useUi } from '../../store/ui.ts';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '16px' },
  tiles: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: '12px' },
  tile: { padding: '12px 16px' },
  tileValue: {
    fontSize: tokens.fontSizeHero700,
    fontWeight: tokens.fontWeightSemibold,
    lineHeight: tokens.lineHeightHero700,
  },
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '8px' },
  h2: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  muted: { color: tokens.colorNeutralForeground3 },
  states: { display: 'flex', gap: '4px', flexWrap: 'wrap' },
});

function States(props: { c: StateCounts }) {
  const styles = useStyles();
  const { provisioned, pending, failed } = props.c;
  if (provisioned + pending + failed === 0) return <Text className={styles.muted}>none</Text>;
  return (
    <span className={styles.states}>
      <Badge appearance="tint" color="success">
        {provisioned.toLocaleString()} provisioned
      </Badge>
      {pending > 0 && (
        <Badge appearance="tint" color="warning">
          {pending.toLocaleString()} pending
        </Badge>
      )}
      {failed > 0 && (
        <Badge appearance="tint" color="danger">
          {failed.toLocaleString()} failed
        </Badge>
      )}
    </span>
  );
}

const runColor = (s: RunSummary['status']) =>
  s === 'committed'
    ? 'success'
    : s === 'failed'
      ? 'danger'
      : s === 'cancelled' || s === 'stale'
        ? 'warning'
        : 'informative';

export function DashboardPage() {
  const styles = useStyles();
  const go = useUi((s) => s.go);
  const [summary, setSummary] = useState<DashboardSummary | undefined>();
  // undefined until the first answer: "no run yet" is only said once it is known.
  const [runs, setRuns] = useState<RunSummary[] | undefined>();
  const progress = useProvisioningProgress();

  const load = useCallback(() => {
    Promise.all([call('dashboard.summary', { days: 30 }), call('runs.list', {})]).then(
      ([sum, r]) => {
        setSummary(sum);
        setRuns(r);
      },
      (err) => notifyError(err, 'Could not load the dashboard.'),
    );
  }, []);

  useEffect(() => {
    load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = on('app.changed', () => {
      clearTimeout(timer);
      timer = setTimeout(load, 500);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [load]);

  const pending = summary?.directories.reduce((a, d) => a + d.pending, 0) ?? 0;
  const failed = summary?.directories.reduce((a, d) => a + d.failed, 0) ?? 0;
  const tiles: Array<[string, number | undefined]> = [
    ['Users', summary?.users],
    ['Groups', summary?.groups],
    ['Directories', summary?.directories.length],
    ['Pending work', summary ? pending : undefined],
    ['Failed work', summary ? failed : undefined],
  ];

  return (
    <div className={styles.page}>
      <PageHeader title="Dashboard">
        <Button icon={<ArrowClockwiseRegular />} onClick={load}>
          Refresh
        </Button>
      </PageHeader>
      {summary && runs && <FirstRunChecklist summary={summary} runs={runs} />}
      <div className={styles.tiles} role="list" aria-label="Totals">
        {tiles.map(([label, n]) => (
          <Card key={label} className={styles.tile} role="listitem">
            <Text className={styles.muted}>{label}</Text>
            <span
              className={styles.tileValue}
              style={label === 'Failed work' && n ? { color: tokens.colorPaletteRedForeground1 } : undefined}
            >
              {n === undefined ? '—' : n.toLocaleString()}
            </span>
          </Card>
        ))}
      </div>

      <Card className={styles.card} role="region" aria-labelledby="dash-progress">
        <h2 id="dash-progress" className={styles.h2}>
          Provisioning now
        </h2>
        {progress ? <ProvisioningProgress list={progress} /> : <Text className={styles.muted}>Loading…</Text>}
      </Card>
      <NeedsReview />

      <Card className={styles.card} role="region" aria-labelledby="dash-activity">
        <h2 id="dash-activity" className={styles.h2}>
          Provisioning activity, last 30 days
        </h2>
        {summary ? (
          <ActivityChart days={summary.activity} label="Provisioning operations" />
        ) : (
          <Text className={styles.muted}>Loading…</Text>
        )}
      </Card>

      <Card className={styles.card} role="region" aria-labelledby="dash-dirs">
        <h2 id="dash-dirs" className={styles.h2}>
          Directories
        </h2>
        {!summary ? (
          <Text className={styles.muted}>Loading…</Text>
        ) : summary.directories.length === 0 ? (
          <Text>
            No directory yet.{' '}
            <Button appearance="transparent" size="small" onClick={() => go('directories')}>
              Add one
            </Button>
          </Text>
        ) : (
          <Table size="small" aria-labelledby="dash-dirs">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Directory</TableHeaderCell>
                <TableHeaderCell>Kind</TableHeaderCell>
                <TableHeaderCell>Users</TableHeaderCell>
                <TableHeaderCell>Groups</TableHeaderCell>
                <TableHeaderCell>Pending</TableHeaderCell>
                <TableHeaderCell>Failed</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {summary.directories.map((d) => (
                <TableRow key={d.directoryId}>
                  <TableCell>{d.name}</TableCell>
                  <TableCell>{directoryKindLabel[d.kind]}</TableCell>
                  <TableCell>
                    <States c={d.users} />
                  </TableCell>
                  <TableCell>
                    <States c={d.groups} />
                  </TableCell>
                  <TableCell>{d.pending.toLocaleString()}</TableCell>
                  <TableCell>
                    {d.failed > 0 ? (
                      <Badge appearance="tint" color="danger">
                        {d.failed.toLocaleString()}
                      </Badge>
                    ) : (
                      '0'
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>

      <Card className={styles.card} role="region" aria-labelledby="dash-runs">
        <h2 id="dash-runs" className={styles.h2}>
          Last runs
        </h2>
        {!runs ? (
          <Text className={styles.muted}>Loading…</Text>
        ) : runs.length === 0 ? (
          <Text className={styles.muted}>No import or push has run yet.</Text>
        ) : (
          <Table size="small" aria-labelledby="dash-runs">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>Directory</TableHeaderCell>
                <TableHeaderCell>Kind</TableHeaderCell>
                <TableHeaderCell>Status</TableHeaderCell>
                <TableHeaderCell>Users new / changed / missing</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {runs.slice(0, 8).map((r) => (
                <TableRow key={r.runId}>
                  <TableCell>{when(r.created)}</TableCell>
                  <TableCell>{r.directoryName}</TableCell>
                  <TableCell>
                    {r.kind === 'push' ? 'Push' : r.mode === 'delta' ? 'Import, changes only' : 'Import, full read'}
                    {r.trigger === 'scheduled' && ', scheduled'}
                  </TableCell>
                  <TableCell>
                    <Badge
                      appearance="tint"
                      color={r.held && r.status === 'previewed' ? 'warning' : runColor(r.status)}
                    >
                      {r.held && r.status === 'previewed' ? 'held' : r.status}
                    </Badge>
                    {r.error && (
                      <Text size={200} className={styles.muted}>
                        {' '}
                        {r.error.message}
                      </Text>
                    )}
                  </TableCell>
                  <TableCell>
                    {r.users.create} / {r.users.update} / {r.users.missing}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
    </div>
  );
}
