// Bulk onboarding actions for the users selected on the Users page:
// "Send activation mail" (a password reset link) and "Mail a temporary
// password" (must be changed at next sign-in). Results per user are shown
// when anything failed.
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
import { KeyRegular, MailRegular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { BulkSummary } from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { notifyError, notifySuccess, useNotices } from '../../store/notices.ts';

export interface OnboardingActionsProps {
  /** Local ids of the selected users; the buttons are disabled when empty. */
  userIds: string[];
  /** Called after an action ran (the list should reload: onboarding status changed). */
  onDone?: () => void;
  /** Buttons with icons only in a narrow toolbar. */
  compact?: boolean;
}

type Action = 'activation' | 'temporary';

const useStyles = makeStyles({
  row: { display: 'flex', gap: '8px' },
  failed: { color: tokens.colorPaletteRedForeground1 },
  ok: { color: tokens.colorPaletteGreenForeground1 },
  table: { maxHeight: '50vh', overflowY: 'auto' },
});

const n = (count: number) => `${count.toLocaleString()} user${count === 1 ? '' : 's'}`;

export function OnboardingActions({ userIds, onDone, compact }: OnboardingActionsProps) {
  const styles = useStyles();
  const [asking, setAsking] = useState<Action | undefined>();
  const [busy, setBusy] = useState(false);
  const [summary, setSummary] = useState<{ action: Action; result: BulkSummary } | undefined>();

  const run = async (action: Action) => {
    setBusy(true);
    try {
      const result = await call(
        action === 'activation' ? 'onboarding.sendActivation' : 'onboarding.sendTemporaryPassword',
        { userIds },
      );
      const what = action === 'activation' ? 'Activation mail' : 'Temporary password';
      if (result.failed === 0) notifySuccess(`${what} sent to ${n(result.sent)}.`);
      else {
        useNotices.getState().push({
          level: result.sent ? 'warning' : 'error',
          message: `${what} sent to ${n(result.sent)}; ${n(result.failed)} failed.`,
        });
        setSummary({ action, result });
      }
      onDone?.();
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(false);
      setAsking(undefined);
    }
  };

  const count = userIds.length;
  return (
    <>
      <div className={styles.row}>
        <Button
          icon={<MailRegular />}
          disabled={count === 0 || busy}
          onClick={() => setAsking('activation')}
          title="Send activation mail with password reset link"
        >
          {compact ? undefined : 'Send activation mail'}
        </Button>
        <Button
          icon={<KeyRegular />}
          disabled={count === 0 || busy}
          onClick={() => setAsking('temporary')}
          title="Mail a temporary password"
        >
          {compact ? undefined : 'Mail temporary password'}
        </Button>
      </div>
      <ConfirmDialog
        open={asking === 'activation'}
        title={`Send activation mail to ${n(count)}?`}
        confirmLabel={busy ? 'Sending…' : 'Send activation mail'}
        busy={busy}
        onConfirm={() => void run('activation')}
        onCancel={() => !busy && setAsking(undefined)}
      >
        Each user gets a mail with a link to choose their password on the reset portal. The password is then set in
        every directory where Password Sync is on. A link works once and expires; a new mail replaces any earlier link.
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'temporary'}
        title={`Mail a temporary password to ${n(count)}?`}
        confirmLabel={busy ? 'Sending…' : 'Set and mail temporary passwords'}
        busy={busy}
        onConfirm={() => void run('temporary')}
        onCancel={() => !busy && setAsking(undefined)}
      >
        A new random password is set now in every directory where Password Sync is on, marked to be changed at the next
        sign-in, and mailed to each user. Their current password stops working, and any activation link is cancelled.
      </ConfirmDialog>
      <Dialog open={!!summary} onOpenChange={(_, d) => !d.open && setSummary(undefined)}>
        <DialogSurface>
          <DialogBody>
            <DialogTitle>
              {summary?.action === 'activation' ? 'Activation mail' : 'Temporary passwords'}: {summary?.result.sent}{' '}
              sent, {summary?.result.failed} failed
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
