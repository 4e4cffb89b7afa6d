// The first steps of a new installation, ticked off as they are done: add a
// directory, verify its credentials, import, set up mail, start the reset
// portal. Shown until every step is done; each open step links to where it
// is done.
import { Button, Card, Text, makeStyles, tokens } from '@fluentui/react-components';
import { CheckmarkCircleFilled, CircleRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import type { DashboardSummary, RunSummary, SendPrerequisite } from '../../../src-preload/contract.ts';
import { call, on } from '../../api.ts';
import { VisuallyHidden } from '../../components/VisuallyHidden.tsx';
import { useDirectories } from '../../store/directories.ts';
import { useUi, type PageId } from '../../store/ui.ts';

const useStyles = makeStyles({
  card: { padding: '16px', display: 'flex', flexDirection: 'column', gap: '8px' },
  h2: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  list: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '6px' },
  step: { display: 'flex', alignItems: 'center', gap: '10px', minHeight: '32px' },
  done: { color: tokens.colorPaletteGreenForeground1, fontSize: '20px', flexShrink: 0 },
  open: { color: tokens.colorNeutralForeground3, fontSize: '20px', flexShrink: 0 },
  label: { flexGrow: 1 },
  struck: { color: tokens.colorNeutralForeground3 },
});

interface Step {
  label: string;
  done: boolean;
  action: string;
  page: PageId;
  section?: string;
}

export function FirstRunChecklist(props: { summary: DashboardSummary; runs: RunSummary[] }) {
  const styles = useStyles();
  const go = useUi((u) => u.go);
  const dirs = useDirectories();
  const [missing, setMissing] = useState<SendPrerequisite[] | undefined>();

  useEffect(() => {
    if (!dirs.loaded) void dirs.load();
  }, [dirs]);
  useEffect(() => {
    const load = () =>
      call('onboarding.prerequisites', { kind: 'activation' }).then(
        (r) => setMissing(r.missing),
        () => undefined,
      );
    void load();
    return on('app.changed', ({ what }) => what === 'directories' && void load());
  }, []);

  if (!missing || !dirs.loaded) return null;
  const steps: Step[] = [
    {
      label: 'Add a directory (Active Directory, LDAP or Entra ID)',
      done: props.summary.directories.length > 0,
      action: 'Add a directory',
      page: 'directories',
    },
    {
      label: 'Verify its credentials',
      done: dirs.list.some((d) => d.lastVerify?.ok),
      action: 'Open Directories',
      page: 'directories',
    },
    {
      label: 'Import users and groups',
      done: props.runs.some((r) => r.kind === 'import' && r.status === 'committed'),
      action: 'Open Import',
      page: 'import',
    },
    {
      label: 'Set up mail for activation links and temporary passwords',
      done: !missing.some((m) => m.section === 'mail'),
      action: 'Open Settings, Mail',
      page: 'settings',
      section: 'mail',
    },
    {
      label: 'Start the reset portal the activation links open',
      done: !missing.some((m) => m.section === 'portal'),
      action: 'Open Settings, Reset portal',
      page: 'settings',
      section: 'portal',
    },
  ];
  const left = steps.filter((s) => !s.done).length;
  if (left === 0) return null;
  return (
    <Card className={styles.card} role="region" aria-labelledby="dash-first-run">
      <h2 id="dash-first-run" className={styles.h2}>
        Getting started: {steps.length - left} of {steps.length} done
      </h2>
      <ol className={styles.list}>
        {steps.map((s) => (
          <li key={s.label} className={styles.step}>
            {s.done ? (
              <CheckmarkCircleFilled className={styles.done} aria-hidden />
            ) : (
              <CircleRegular className={styles.open} aria-hidden />
            )}
            <Text className={`${styles.label} ${s.done ? styles.struck : ''}`}>
              {s.label}
              <VisuallyHidden>{s.done ? ' (done)' : ' (to do)'}</VisuallyHidden>
            </Text>
            {!s.done && (
              <Button size="small" onClick={() => go(s.page, s.section)}>
                {s.action}
              </Button>
            )}
          </li>
        ))}
      </ol>
    </Card>
  );
}
