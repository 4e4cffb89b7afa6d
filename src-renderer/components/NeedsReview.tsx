// Scheduled runs that need the admin: held runs (why: over the deletion
// threshold, conflicts, auto-commit off) to open, commit a selection of or
// discard, failed runs with the directory's error, and quarantined schedules
// with "Retry now". Shown on the Dashboard and the Import page.
import {
  Badge,
  Button,
  Card,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
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
import { useCallback, useEffect, useState } from 'react';
import type { ReviewItem, ScheduleOverview } from '../../src-preload/contract.ts';
import { call, on } from '../api.ts';
import { when } from './format.ts';
import { notifyError, notifySuccess, useNotices } from '../store/notices.ts';
import { useImport } from '../store/import.ts';
import { useUi } from '../store/ui.ts';

const useStyles = makeStyles({
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '8px' },
  h2: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  actions: { display: 'flex', gap: '4px' },
});

export const reasonLabel: Record<ReviewItem['reason'], string> = {
  threshold: 'Over the deletion threshold',
  conflicts: 'Conflicts',
  policy: 'Auto-commit off',
  source_failed: 'Source unreachable',
  empty_source: 'Source empty',
  failed: 'Failed',
};

/** Loads the schedules' overview and keeps it fresh while shown. */
function useOverview(): [ScheduleOverview | undefined, () => void] {
  const [overview, setOverview] = useState<ScheduleOverview>();
  const load = useCallback(() => {
    call('schedule.overview', {}).then(setOverview, (err) => notifyError(err, 'Could not load the schedules.'));
  }, []);
  useEffect(() => {
    load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = on('app.changed', () => {
      clearTimeout(timer);
      timer = setTimeout(load, 300);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [load]);
  return [overview, load];
}

export function NeedsReview() {
  const styles = useStyles();
  const go = useUi((s) => s.go);
  const [overview, reload] = useOverview();
  const [busy, setBusy] = useState<string>();

  const open = async (r: ReviewItem) => {
    if (await useImport.getState().open(r.runId, r.directoryId)) go('import');
  };
  const discard = async (r: ReviewItem) => {
    setBusy(r.runId);
    try {
      await call('schedule.discard', { runId: r.runId });
      notifySuccess(`Discarded the held run of ${r.directoryName}; its changes come back in the next run.`);
      reload();
    } catch (err) {
      notifyError(err, 'Could not discard the run.');
    } finally {
      setBusy(undefined);
    }
  };
  const retry = async (directoryId: string, name: string) => {
    setBusy(directoryId);
    try {
      const o = await call('schedule.runNow', { directoryId });
      if (o.status === 'failed')
        useNotices.getState().push({ level: 'error', message: `${name}: ${o.error?.message ?? 'the run failed.'}` });
      else notifySuccess(`${name}: the scheduled import ran (${o.status}).`);
      reload();
    } catch (err) {
      notifyError(err, 'Could not run the import.');
    } finally {
      setBusy(undefined);
    }
  };

  if (!overview) return null;
  const quarantined = overview.directories.filter((d) => d.quarantinedUntil);
  if (overview.review.length === 0 && quarantined.length === 0) return null;
  return (
    <Card className={styles.card} role="region" aria-labelledby="needs-review">
      <h2 id="needs-review" className={styles.h2}>
        Needs review
      </h2>
      {quarantined.map((d) => (
        <MessageBar key={d.directoryId} intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{d.directoryName}: schedule quarantined</MessageBarTitle>
            {d.failures} scheduled runs failed in a row; the next try waits until {when(d.quarantinedUntil!)}.{' '}
            {d.lastError?.message}
          </MessageBarBody>
          <MessageBarActions>
            <Button disabled={busy !== undefined} onClick={() => void retry(d.directoryId, d.directoryName)}>
              Retry now
            </Button>
          </MessageBarActions>
        </MessageBar>
      ))}
      {overview.review.length > 0 && (
        <Table size="small" aria-labelledby="needs-review">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>When</TableHeaderCell>
              <TableHeaderCell>Directory</TableHeaderCell>
              <TableHeaderCell>Why</TableHeaderCell>
              <TableHeaderCell>Users new / changed / missing</TableHeaderCell>
              <TableHeaderCell>Actions</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {overview.review.map((r) => (
              <TableRow key={r.runId}>
                <TableCell>{when(r.created)}</TableCell>
                <TableCell>{r.directoryName}</TableCell>
                <TableCell>
                  <Badge appearance="tint" color={r.kind === 'held' ? 'warning' : 'danger'}>
                    {reasonLabel[r.reason]}
                  </Badge>{' '}
                  <Text size={200}>{r.message}</Text>
                </TableCell>
                <TableCell>
                  {r.users.create} / {r.users.update} / {r.users.missing}
                </TableCell>
                <TableCell>
                  <span className={styles.actions}>
                    {r.kind === 'held' ? (
                      <>
                        <Button size="small" appearance="primary" onClick={() => void open(r)}>
                          Open
                        </Button>
                        <Button size="small" disabled={busy !== undefined} onClick={() => void discard(r)}>
                          Discard
                        </Button>
                      </>
                    ) : (
                      <Button
                        size="small"
                        disabled={busy !== undefined}
                        onClick={() => void retry(r.directoryId, r.directoryName)}
                      >
                        Retry now
                      </Button>
                    )}
                  </span>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Card>
  );
}
