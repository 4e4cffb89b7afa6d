// Provisioning work per directory, live: done / pending / failed of the
// current wave, the rate over the last minute and the time left at that rate.
// Polls while work is pending (the rate moves even when nothing else changes)
// and follows outbox changes otherwise.
import { Badge, ProgressBar, Text, makeStyles, tokens } from '@fluentui/react-components';
import { useCallback, useEffect, useState } from 'react';
import type { DirectoryProgress } from '../../src-preload/contract.ts';
import { call, on } from '../api.ts';
import { duration } from './format.ts';

const POLL_MS = 2000;

const useStyles = makeStyles({
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '10px' },
  item: { display: 'flex', flexDirection: 'column', gap: '4px' },
  line: { display: 'flex', gap: '8px', alignItems: 'baseline', flexWrap: 'wrap' },
  name: { fontWeight: tokens.fontWeightSemibold },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** The progress of every directory, kept fresh while the component is shown. */
export function useProvisioningProgress(): DirectoryProgress[] | undefined {
  const [list, setList] = useState<DirectoryProgress[] | undefined>();
  const load = useCallback(() => {
    call('provision.progress', {}).then(setList, () => undefined);
  }, []);
  useEffect(() => {
    load();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = on('app.changed', ({ what }) => {
      if (what !== 'outbox' && what !== 'directories') return;
      clearTimeout(timer);
      timer = setTimeout(load, 400);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [load]);
  const busy = list?.some((d) => d.pending > 0) ?? false;
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(load, POLL_MS);
    return () => clearInterval(t);
  }, [busy, load]);
  return list;
}

export function progressText(d: DirectoryProgress): string {
  if (d.pending === 0) return d.failed > 0 ? `Nothing pending; ${d.failed.toLocaleString()} failed` : 'Up to date';
  const parts = [
    `${d.done.toLocaleString()} done`,
    `${d.pending.toLocaleString()} pending`,
    `${d.failed.toLocaleString()} failed`,
  ];
  if (d.ratePerMinute) parts.push(`${d.ratePerMinute.toLocaleString()} per minute`);
  parts.push(d.etaSeconds !== undefined ? `about ${duration(d.etaSeconds)} left` : 'waiting for the directory');
  return parts.join(' · ');
}

/** One directory's bar and figures (for a table cell or a list). */
export function DirectoryProgressView(props: { d: DirectoryProgress; showName?: boolean }) {
  const styles = useStyles();
  const { d } = props;
  const total = d.done + d.pending;
  return (
    <div className={styles.item}>
      <div className={styles.line}>
        {props.showName && <span className={styles.name}>{d.name}</span>}
        <Text size={200} className={d.pending ? undefined : styles.muted}>
          {progressText(d)}
        </Text>
        {d.failed > 0 && d.pending > 0 && (
          <Badge appearance="tint" color="danger" size="small">
            failures
          </Badge>
        )}
      </div>
      {d.pending > 0 && (
        <ProgressBar
          value={total ? d.done / total : undefined}
          thickness="large"
          aria-label={`Provisioning to ${d.name}: ${d.done} of ${total} done`}
        />
      )}
    </div>
  );
}

/** Every directory with work, or one line saying all are up to date. */
export function ProvisioningProgress(props: { list: DirectoryProgress[] }) {
  const styles = useStyles();
  const active = props.list.filter((d) => d.pending > 0 || d.failed > 0);
  if (active.length === 0)
    return <Text className={styles.muted}>Every directory is up to date: no provisioning work is pending.</Text>;
  return (
    <ul className={styles.list} aria-label="Provisioning per directory">
      {active.map((d) => (
        <li key={d.directoryId}>
          <DirectoryProgressView d={d} showName />
        </li>
      ))}
    </ul>
  );
}
