// One user's details: onboarding status, provisioning state per directory
// with the failure reason, provision on demand with its step trace, and
// retry of failed work.
import {
  Badge,
  Button,
  Card,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Spinner,
  Text,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  ArrowClockwiseRegular,
  CheckmarkCircleFilled,
  DismissCircleFilled,
  DismissRegular,
  EditRegular,
  DeleteRegular,
  SendRegular,
} from '@fluentui/react-icons';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { OnDemandResult, OnboardingStatus, UserDetail } from '../../../src-preload/contract.ts';
import { BridgeFailure, call, on } from '../../api.ts';
import { ProvisioningStates } from '../../components/ProvisioningStates.tsx';
import { when } from '../../components/format.ts';
import { useDirectories } from '../../store/directories.ts';
import { detailsText, notifyError, notifySuccess } from '../../store/notices.ts';

const useStyles = makeStyles({
  panel: {
    width: '400px',
    flexShrink: 0,
    overflow: 'auto',
    padding: '16px',
    display: 'flex',
    flexDirection: 'column',
    gap: '10px',
  },
  head: { display: 'flex', gap: '6px', alignItems: 'center' },
  h2: {
    margin: 0,
    flexGrow: 1,
    fontSize: tokens.fontSizeBase500,
    fontWeight: tokens.fontWeightSemibold,
    wordBreak: 'break-word',
  },
  h3: { margin: '8px 0 0', fontSize: tokens.fontSizeBase300, fontWeight: tokens.fontWeightSemibold },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '2px 12px', margin: 0 },
  dt: { color: tokens.colorNeutralForeground3 },
  dd: { margin: 0, wordBreak: 'break-word' },
  row: { display: 'flex', gap: '8px', alignItems: 'flex-end', flexWrap: 'wrap' },
  steps: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '4px' },
  step: { display: 'flex', gap: '6px', alignItems: 'flex-start' },
  ok: { color: tokens.colorPaletteGreenForeground1, flexShrink: 0, marginTop: '2px' },
  bad: { color: tokens.colorPaletteRedForeground1, flexShrink: 0, marginTop: '2px' },
  details: { whiteSpace: 'pre-wrap', fontFamily: tokens.fontFamilyMonospace, fontSize: '12px' },
});

export const onboardingLabel: Record<OnboardingStatus, string> = {
  notInvited: 'Not invited',
  invited: 'Invited',
  temporaryPassword: 'Temporary password sent',
  passwordSet: 'Password set, cannot sign in',
  activated: 'Activated',
  expired: 'Invitation expired',
  failed: 'Invitation failed',
};
const stepLabel = { scope: 'Scope', match: 'Match', action: 'Action', result: 'Result' } as const;

export function UserDetailPanel(props: {
  userId: string;
  onClose: () => void;
  onEdit: (d: UserDetail) => void;
  onDelete: (d: UserDetail) => void;
}) {
  const styles = useStyles();
  const dirs = useDirectories();
  const onClose = useRef(props.onClose);
  useEffect(() => {
    onClose.current = props.onClose;
  }, [props.onClose]);
  const [detail, setDetail] = useState<UserDetail | undefined>();
  const [chosen, setTarget] = useState<string>('');
  const [busy, setBusy] = useState<'ondemand' | 'retry' | undefined>();
  const [trace, setTrace] = useState<{ directoryName: string; result: OnDemandResult } | undefined>();

  const load = useCallback(() => {
    call('users.get', { id: props.userId }).then(setDetail, (err) => {
      // Deleted meanwhile (here or elsewhere): the panel just closes.
      if (err instanceof BridgeFailure && err.error.code === 'not_found') onClose.current();
      else notifyError(err);
    });
  }, [props.userId]);

  useEffect(() => {
    load();
    return on('app.changed', ({ what }) => {
      if (what === 'users' || what === 'outbox') load();
    });
  }, [load]);
  useEffect(() => {
    if (!dirs.loaded) void dirs.load();
  }, [dirs]);
  const target = chosen || dirs.list[0]?.id || '';

  if (!detail)
    return (
      <Card className={styles.panel}>
        <Spinner size="small" label="Loading…" />
      </Card>
    );
  const u = detail.user;
  const failed = detail.provisioning.filter((p) => p.state === 'failed');

  const provisionNow = async () => {
    if (!target) return;
    setBusy('ondemand');
    setTrace(undefined);
    try {
      const result = await call('provision.onDemand', { userId: u.id, directoryId: target });
      setTrace({ directoryName: dirs.list.find((d) => d.id === target)?.config.name ?? '', result });
      load();
    } catch (err) {
      notifyError(err, 'Provision on demand failed.');
    } finally {
      setBusy(undefined);
    }
  };

  const discard = async () => {
    setBusy('retry');
    try {
      const outbox = await call('provision.outbox', { states: ['failed'], limit: 2000 });
      const ids = outbox.items.filter((i) => i.localId === u.id).map((i) => i.id);
      const { discarded } = ids.length ? await call('provision.discardFailed', { ids }) : { discarded: 0 };
      notifySuccess(`Discarded ${discarded} failed operation(s) for ${u.userName}.`);
      load();
    } catch (err) {
      notifyError(err, 'Could not discard.');
    } finally {
      setBusy(undefined);
    }
  };

  const retry = async () => {
    setBusy('retry');
    try {
      const outbox = await call('provision.outbox', { states: ['failed'], limit: 2000 });
      const ids = outbox.items.filter((i) => i.localId === u.id).map((i) => i.id);
      const { queued } = ids.length ? await call('provision.retryFailed', { ids }) : { queued: 0 };
      notifySuccess(
        queued
          ? `Queued ${queued} failed operations for ${u.userName} again.`
          : `No failed operation is waiting for ${u.userName}.`,
      );
      load();
    } catch (err) {
      notifyError(err, 'Could not retry.');
    } finally {
      setBusy(undefined);
    }
  };

  const email = (u.emails.find((e) => e.primary) ?? u.emails[0])?.value;
  return (
    <Card className={styles.panel} role="region" aria-label={`User ${u.userName}`}>
      <div className={styles.head}>
        <h2 className={styles.h2}>{u.displayName || u.userName}</h2>
        {!detail.removing && (
          <Button size="small" icon={<EditRegular />} onClick={() => props.onEdit(detail)}>
            Edit
          </Button>
        )}
        <Button size="small" icon={<DeleteRegular />} onClick={() => props.onDelete(detail)}>
          {detail.removing ? 'Remove from the app' : 'Delete'}
        </Button>
        <Button
          size="small"
          appearance="subtle"
          icon={<DismissRegular />}
          aria-label="Close user details"
          onClick={props.onClose}
        />
      </div>
      <dl className={styles.facts}>
        {(
          [
            ['User name', u.userName],
            ['E-mail', email],
            ['Job title', u.title],
            ['Department', u.department],
            ['Employee number', u.employeeNumber],
            [
              'Account',
              detail.removing
                ? 'Being removed: listed until every directory has confirmed it (see Directories below)'
                : u.active
                  ? 'Enabled'
                  : 'Disabled',
            ],
            ['Changed', when(u.meta.lastModified)],
          ] as const
        )
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt className={styles.dt}>{k}</dt>
              <dd className={styles.dd}>{v}</dd>
            </div>
          ))}
      </dl>

      <h3 className={styles.h3}>Onboarding</h3>
      <div>
        <Badge
          appearance="tint"
          color={
            detail.onboarding.status === 'activated'
              ? 'success'
              : detail.onboarding.status === 'failed' || detail.onboarding.status === 'expired'
                ? 'danger'
                : detail.onboarding.status === 'passwordSet'
                  ? 'warning'
                  : 'informative'
          }
        >
          {onboardingLabel[detail.onboarding.status]}
        </Badge>{' '}
        {detail.onboarding.invitedAt && (
          <Text size={200}>
            {detail.onboarding.status === 'temporaryPassword' ? 'mailed' : 'invited'}{' '}
            {when(detail.onboarding.invitedAt)}
          </Text>
        )}
        {detail.onboarding.status === 'temporaryPassword' && (
          <Text size={200}> — must change the password at the next sign-in</Text>
        )}
        {detail.onboarding.reason && <Text size={200}> — {detail.onboarding.reason}</Text>}
      </div>

      <h3 className={styles.h3}>In directories</h3>
      <ProvisioningStates states={detail.provisioning} label={`Provisioning state of ${u.userName}`} />
      {failed.length > 0 && (
        <div>
          <Button icon={<ArrowClockwiseRegular />} onClick={() => void retry()} disabled={busy !== undefined}>
            Retry failed
          </Button>{' '}
          <Button
            appearance="subtle"
            icon={<DeleteRegular />}
            onClick={() => void discard()}
            disabled={busy !== undefined}
            title="Give up on the failed operations (a queued password is forgotten too)"
          >
            Discard failed
          </Button>
        </div>
      )}

      <h3 className={styles.h3}>Provision on demand</h3>
      {dirs.list.length === 0 ? (
        <Text>Add a directory first.</Text>
      ) : (
        <div className={styles.row}>
          <Select aria-label="Directory to provision into" value={target} onChange={(_, d) => setTarget(d.value)}>
            {dirs.list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.config.name}
              </option>
            ))}
          </Select>
          <Button icon={<SendRegular />} onClick={() => void provisionNow()} disabled={busy !== undefined}>
            Provision now
          </Button>
          {busy === 'ondemand' && <Spinner size="tiny" />}
        </div>
      )}
      {trace && (
        <div role="region" aria-label="Provisioning trace">
          <MessageBar intent={trace.result.ok ? 'success' : 'error'} layout="multiline">
            <MessageBarBody>
              <MessageBarTitle>
                {trace.result.ok
                  ? `${trace.directoryName}: ${trace.result.action === 'none' ? 'already up to date' : trace.result.action === 'skipped' ? 'skipped' : `${trace.result.action} done`}`
                  : (trace.result.error?.message ?? `${trace.directoryName}: failed`)}
              </MessageBarTitle>
              {trace.result.error?.details !== undefined && (
                <details>
                  <summary>Details from the server</summary>
                  <div className={styles.details}>{detailsText(trace.result.error.details)}</div>
                </details>
              )}
            </MessageBarBody>
          </MessageBar>
          <ol className={styles.steps} aria-label="Steps" style={{ marginTop: 8 }}>
            {trace.result.steps.map((s, i) => (
              <li key={i} className={styles.step}>
                {s.ok ? (
                  <CheckmarkCircleFilled className={styles.ok} aria-label="succeeded" />
                ) : (
                  <DismissCircleFilled className={styles.bad} aria-label="failed" />
                )}
                <Text>
                  <b>{stepLabel[s.step]}</b> — {s.detail}
                </Text>
              </li>
            ))}
          </ol>
        </div>
      )}
    </Card>
  );
}
