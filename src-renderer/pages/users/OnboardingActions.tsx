// Bulk onboarding actions for the users selected on the Users page:
// "Send activation mail" (a password reset link) and "Mail a temporary
// password" (must be changed at next sign-in). A send runs as a job in the
// main process: while it runs, a progress bar (sent / failed / left) with
// Cancel shows next to the buttons and the window stays usable. Cancel stops
// new mails; those in flight finish. Results per user are shown when anything
// failed or was not reached.
//
// Usage (Users page): <OnboardingActions userIds={selectedIds} onDone={reload} />
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Link,
  MessageBar,
  MessageBarBody,
  ProgressBar,
  Radio,
  RadioGroup,
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
import { DismissRegular, KeyRegular, MailRegular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import {
  isSendProgress,
  type SendCheck,
  type SendJobView,
  type SendPrerequisite,
  type SendProgress,
} from '../../../src-preload/contract.ts';
import { BridgeFailure, call, on } from '../../api.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { detailsText, notifyError, notifySuccess, useNotices } from '../../store/notices.ts';
import { useUi } from '../../store/ui.ts';

export interface OnboardingActionsProps {
  /** Local ids of the selected users; the buttons are disabled when empty. */
  userIds: string[];
  /** Called after an action ran (the list should reload: onboarding status changed). */
  onDone?: () => void;
  /** Called once a send has run: the selection is cleared, so a second click cannot resend by mistake. */
  onSent?: () => void;
  /** Buttons with icons only in a narrow toolbar. */
  compact?: boolean;
}

type Action = 'activation' | 'temporary';
/** What a send does with the disabled accounts among the selected. */
type DisabledChoice = 'enable' | 'leaveOut' | 'keep';

const useStyles = makeStyles({
  row: { display: 'flex', gap: '8px' },
  failed: { color: tokens.colorPaletteRedForeground1 },
  ok: { color: tokens.colorPaletteGreenForeground1 },
  table: { maxHeight: '50vh', overflowY: 'auto' },
  progress: { display: 'flex', gap: '8px', alignItems: 'center', minWidth: '320px' },
  bar: { flexGrow: 1 },
  details: { color: tokens.colorNeutralForeground3, whiteSpace: 'pre-wrap', fontSize: tokens.fontSizeBase100 },
});

/** The counts a progress bar shows: from the job's first view, then from its events. */
type Counts = Pick<SendProgress, 'sent' | 'failed' | 'remaining' | 'total' | 'phase' | 'pausedUntil'> & {
  jobId: string;
};

const countsOf = (v: SendJobView): Counts => ({
  jobId: v.jobId,
  sent: v.sent,
  failed: v.failed,
  remaining: v.remaining,
  total: v.total,
  phase: v.state === 'running' ? 'sending' : v.state,
  pausedUntil: v.pausedUntil,
});

const n = (count: number) => `${count.toLocaleString()} user${count === 1 ? '' : 's'}`;

const names = (list: string[], total: number) =>
  `${list.join(', ')}${total > list.length ? `, and ${(total - list.length).toLocaleString()} more` : ''}`;

/** Who the dialog warns about: links a new mail cancels, disabled accounts (left out unless kept). */
function useSendCheck(open: boolean, userIds: string[]) {
  const [answer, setAnswer] = useState<{ key: string; check: SendCheck } | undefined>();
  const key = userIds.join(',');
  useEffect(() => {
    if (!open || userIds.length === 0) return;
    let live = true;
    call('onboarding.send.check', { userIds })
      .then((check) => live && setAnswer({ key, check }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the ids' content, not the array's identity
  }, [open, key]);
  // An answer for another selection is not shown.
  return open && answer?.key === key ? answer.check : undefined;
}

/** A refused send: the reason, and where to fix it. */
interface Refusal {
  message: string;
  settings: boolean;
}

export function OnboardingActions({ userIds, onDone, onSent, compact }: OnboardingActionsProps) {
  const styles = useStyles();
  const [asking, setAsking] = useState<Action | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [chosen, setChosen] = useState<DisabledChoice | undefined>();
  const check = useSendCheck(!!asking, userIds);
  const disabledIds = new Set(check?.disabled.map((d) => d.id) ?? []);
  // Enabling on activation is the default when every disabled account is a new one (never activated);
  // one disabled after it worked (someone who left) is left out unless the admin says otherwise.
  const fallback: DisabledChoice =
    asking === 'activation' && check?.disabled.every((d) => d.neverActivated) ? 'enable' : 'leaveOut';
  const disabledChoice = chosen === 'enable' && asking !== 'activation' ? fallback : (chosen ?? fallback);
  const sendIds = disabledChoice === 'leaveOut' ? userIds.filter((id) => !disabledIds.has(id)) : userIds;
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<Counts | undefined>();
  const [summary, setSummary] = useState<{ action: Action; result: SendJobView } | undefined>();
  const [missing, setMissing] = useState<{ action: Action; list: SendPrerequisite[] } | undefined>();
  const go = useUi((u) => u.go);

  // Everything the send still needs is listed before the confirmation, not met one refusal at a time after it.
  const ask = async (action: Action) => {
    try {
      const { missing: list } = await call('onboarding.prerequisites', { kind: action });
      if (list.length > 0) setMissing({ action, list });
      else setAsking(action);
    } catch (err) {
      notifyError(err);
    }
  };
  const openSettings = (section: SendPrerequisite['section']) => {
    setMissing(undefined);
    go('settings', section);
  };

  const run = async (action: Action) => {
    setBusy(true);
    let jobId: string | undefined;
    const off = on('app.progress', (p) => {
      if (jobId && p.operationId === jobId && isSendProgress(p)) setProgress({ ...p, jobId });
    });
    try {
      const started = await call('onboarding.send.start', {
        kind: action === 'activation' ? 'activation' : 'temporaryPassword',
        userIds: sendIds,
        ...(action === 'activation' && disabledIds.size > 0 ? { enableOnActivation: disabledChoice === 'enable' } : {}),
      });
      jobId = started.jobId;
      setAsking(undefined);
      setProgress(countsOf(started));
      const result = await call('onboarding.send.wait', { jobId });
      const what = action === 'activation' ? 'Activation mail' : 'Temporary password';
      const notReached = result.notReached.length;
      if (result.failed === 0 && notReached === 0) notifySuccess(`${what} sent to ${n(result.sent)}.`);
      else {
        useNotices.getState().push({
          level: result.failed ? (result.sent ? 'warning' : 'error') : 'info',
          message:
            `${what} sent to ${n(result.sent)}` +
            (result.failed ? `; ${n(result.failed)} failed` : '') +
            (notReached ? `; cancelled before ${n(notReached)}, whose status is unchanged` : '') +
            '.',
        });
        setSummary({ action, result });
      }
      onSent?.();
      onDone?.();
      setAsking(undefined);
      setChosen(undefined);
    } catch (err) {
      // A refusal before anything was sent stays in the dialog, with the way to fix it.
      if (err instanceof BridgeFailure && jobId === undefined)
        setRefusal({
          message: err.error.message,
          settings: (err.error.details as { settings?: string } | undefined)?.settings === 'settings',
        });
      else {
        notifyError(err);
        setAsking(undefined);
      }
    } finally {
      off();
      setBusy(false);
      setProgress(undefined);
    }
  };

  const close = () => {
    if (busy) return;
    setAsking(undefined);
    setRefusal(undefined);
    setChosen(undefined);
  };

  /** What the dialog says of the selected users beyond the action itself. */
  const warnings = check && (
    <>
      {check.pendingLinks > 0 && (
        <MessageBar intent="warning" role="status">
          <MessageBarBody>
            {n(check.pendingLinks)} of them already {check.pendingLinks === 1 ? 'has' : 'have'} a pending activation
            link that a new mail cancels: {names(check.pendingNames, check.pendingLinks)}.
          </MessageBarBody>
        </MessageBar>
      )}
      {check.disabled.length > 0 && (
        <MessageBar intent="warning" role="status">
          <MessageBarBody>
            {check.disabled.length === 1 ? 'This account is' : `${n(check.disabled.length)} of them are`} disabled:{' '}
            {names(
              check.disabled.slice(0, 10).map((d) => d.userName),
              check.disabled.length,
            )}
            . A password alone does not let them sign in.
            <RadioGroup
              aria-label="Disabled accounts"
              value={disabledChoice}
              onChange={(_, d) => setChosen(d.value as DisabledChoice)}
            >
              {asking === 'activation' && <Radio value="enable" label="Enable them when the user sets the password" />}
              <Radio value="leaveOut" label="Leave them out of this send" />
              <Radio value="keep" label="Send, and keep them disabled" />
            </RadioGroup>
          </MessageBarBody>
        </MessageBar>
      )}
      {refusal && (
        <MessageBar intent="error" role="alert">
          <MessageBarBody>
            {refusal.message}{' '}
            {refusal.settings && (
              <Link
                onClick={() => {
                  close();
                  useUi.getState().go('settings');
                }}
              >
                Open Settings
              </Link>
            )}
          </MessageBarBody>
        </MessageBar>
      )}
    </>
  );

  const cancel = async () => {
    if (!progress) return;
    try {
      await call('onboarding.send.cancel', { jobId: progress.jobId });
    } catch (err) {
      notifyError(err);
    }
  };

  const count = userIds.length;
  return (
    <>
      <div className={styles.row}>
        <Button
          icon={<MailRegular />}
          disabled={count === 0 || busy}
          onClick={() => void ask('activation')}
          title="Send activation mail with password reset link"
        >
          {compact ? undefined : 'Send activation mail'}
        </Button>
        <Button
          icon={<KeyRegular />}
          disabled={count === 0 || busy}
          onClick={() => void ask('temporary')}
          title="Mail a temporary password"
        >
          {compact ? undefined : 'Mail temporary password'}
        </Button>
        {progress && (
          <div className={styles.progress} role="region" aria-label="Sending progress">
            <Field
              className={styles.bar}
              label={
                progress.phase === 'cancelling'
                  ? 'Cancelling: mails in flight finish…'
                  : `${progress.pausedUntil ? `Paused until ${new Date(progress.pausedUntil).toLocaleTimeString()} (the mail server asked to slow down)` : 'Sending'}: ${progress.sent} sent, ${progress.failed} failed, ${progress.remaining} left`
              }
              validationState="none"
            >
              <ProgressBar
                value={progress.total ? (progress.sent + progress.failed) / progress.total : undefined}
                thickness="large"
                aria-label="Mails sent"
              />
            </Field>
            <Button icon={<DismissRegular />} onClick={() => void cancel()} disabled={progress.phase !== 'sending'}>
              Cancel
            </Button>
          </div>
        )}
      </div>
      <ConfirmDialog
        open={asking === 'activation'}
        title={`Send activation mail to ${n(sendIds.length)}?`}
        confirmLabel={busy ? 'Sending…' : 'Send activation mail'}
        busy={busy || sendIds.length === 0}
        onConfirm={() => void run('activation')}
        onCancel={close}
      >
        <p>
          Each user gets a mail with a link to choose their password on the reset portal. The password is then set in
          every directory where Password Sync is on. A link works once and expires; a new mail replaces any earlier
          link.
        </p>
        {warnings}
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'temporary'}
        title={`Mail a temporary password to ${n(sendIds.length)}?`}
        confirmLabel={busy ? 'Sending…' : 'Set and mail temporary passwords'}
        busy={busy || sendIds.length === 0}
        onConfirm={() => void run('temporary')}
        onCancel={close}
      >
        <p>
          A new random password is set now in every directory where Password Sync is on, marked to be changed at the
          next sign-in, and mailed to each user. Their current password stops working, and any activation link is
          cancelled.
        </p>
        {warnings}
      </ConfirmDialog>
      <Dialog open={!!missing} onOpenChange={(_, d) => !d.open && setMissing(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>
              {missing?.action === 'activation' ? 'Activation mail' : 'Temporary passwords'} cannot be sent yet
            </DialogTitle>
            <DialogContent>
              <Text as="p" block>
                Set these up first; nothing was sent:
              </Text>
              <ul aria-label="What is missing">
                {missing?.list.map((m) => (
                  <li key={m.message}>
                    {m.message}{' '}
                    <Button appearance="transparent" size="small" onClick={() => openSettings(m.section)}>
                      {m.section === 'mail' ? 'Open Settings, Mail' : 'Open Settings, Reset portal'}
                    </Button>
                  </li>
                ))}
              </ul>
            </DialogContent>
            <DialogActions>
              <Button appearance="primary" onClick={() => setMissing(undefined)}>
                Close
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
      <Dialog open={!!summary} onOpenChange={(_, d) => !d.open && setSummary(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>
              {summary?.action === 'activation' ? 'Activation mail' : 'Temporary passwords'}: {summary?.result.sent}{' '}
              sent, {summary?.result.failed} failed
              {summary?.result.notReached.length ? `, ${summary.result.notReached.length} not reached` : ''}
            </DialogTitle>
            <DialogContent>
              <div className={styles.table}>
                <Table size="small" aria-label="Results per user">
                  <TableHeader>
                    <TableRow>
                      <TableHeaderCell>User</TableHeaderCell>
                      <TableHeaderCell>Result</TableHeaderCell>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {summary?.result.results.map((r) => (
                      <TableRow key={r.userId}>
                        <TableCell>{r.userName}</TableCell>
                        <TableCell>
                          <Text className={r.ok ? styles.ok : styles.failed}>{r.message}</Text>
                          {!r.ok && r.details !== undefined && (
                            <div className={styles.details}>Server: {detailsText(r.details)}</div>
                          )}
                        </TableCell>
                      </TableRow>
                    ))}
                    {summary?.result.notReached.map((u) => (
                      <TableRow key={u.id}>
                        <TableCell>{u.userName}</TableCell>
                        <TableCell>
                          <Text>Not reached: cancelled before this user; status unchanged, no mail sent.</Text>
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </div>
            </DialogContent>
            <DialogActions>
              <Button appearance="primary" onClick={() => setSummary(undefined)}>
                Close
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </>
  );
}
