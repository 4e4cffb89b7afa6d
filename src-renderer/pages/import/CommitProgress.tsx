// The commit while it runs: which step (gathering the selection, then applying
// it to Provision Desk in one transaction), how many rows, how long so far.
// The apply is one step in the main process, so its bar runs without a
// percentage instead of pretending to one; Dashboard and Directories show the
// provisioning it queues for the other directories as it goes.
import { Card, Field, ProgressBar, makeStyles } from '@fluentui/react-components';
import { useEffect, useState } from 'react';
import { duration, plural } from '../../components/format.ts';
import { useImport } from '../../store/import.ts';

const useStyles = makeStyles({
  card: { padding: '12px 16px', display: 'flex', flexDirection: 'column', gap: '8px', flexShrink: 0 },
});

export function CommitProgress() {
  const styles = useStyles();
  const p = useImport((s) => s.commitProgress);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (!p) return null;
  const secs = Math.max(0, (now - p.startedAt) / 1000);
  const label =
    p.phase === 'selecting'
      ? `Gathering the selected rows — ${p.done.toLocaleString()} of ${p.total.toLocaleString()} looked at`
      : `Applying ${plural(p.total, 'row')} to Provision Desk in one step`;
  return (
    <Card className={styles.card} role="region" aria-label="Commit progress">
      <Field
        label={label}
        validationState="none"
        validationMessage={`${duration(secs)} so far · the changes for other directories are queued when this step ends`}
      >
        <ProgressBar
          value={p.phase === 'selecting' && p.total ? Math.min(1, p.done / p.total) : undefined}
          thickness="large"
          aria-label="Commit"
        />
      </Field>
    </Card>
  );
}
