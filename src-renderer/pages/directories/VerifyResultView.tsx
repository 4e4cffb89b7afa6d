// The precise result of Verify Credentials: what succeeded, what failed, what
// to do. Every server-supplied string is rendered as text.
import { MessageBar, MessageBarBody, MessageBarTitle, Text, makeStyles, tokens } from '@fluentui/react-components';
import { CheckmarkCircleFilled, DismissCircleFilled } from '@fluentui/react-icons';
import type { VerifyResult } from '../../../src-preload/contract.ts';
import { detailsText } from '../../store/notices.ts';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '8px' },
  steps: { listStyle: 'none', padding: 0, margin: 0, display: 'flex', flexDirection: 'column', gap: '4px' },
  step: { display: 'flex', gap: '8px', alignItems: 'flex-start' },
  ok: { color: tokens.colorPaletteGreenForeground1, flexShrink: 0, marginTop: '2px' },
  bad: { color: tokens.colorPaletteRedForeground1, flexShrink: 0, marginTop: '2px' },
  facts: { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '2px 16px', margin: 0 },
  dt: { color: tokens.colorNeutralForeground3 },
  dd: { margin: 0, wordBreak: 'break-all' },
  details: { whiteSpace: 'pre-wrap', fontFamily: tokens.fontFamilyMonospace, fontSize: '12px' },
});

const factText = (v: string | number | boolean | string[]) =>
  Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);

export function VerifyResultView(props: { result: VerifyResult }) {
  const styles = useStyles();
  const r = props.result;
  const details = detailsText(r.error?.details);
  return (
    <div className={styles.root} data-testid="verify-result">
      {r.ok ? (
        <MessageBar intent="success">
          <MessageBarBody>
            <MessageBarTitle>Credentials verified</MessageBarTitle>
            Provision Desk reached the directory and signed in.
          </MessageBarBody>
        </MessageBar>
      ) : (
        <MessageBar intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{r.error?.message ?? 'Verification failed.'}</MessageBarTitle>
            {r.error?.hint && <div>What to do: {r.error.hint}</div>}
            {r.error?.code && <div>Error code: {r.error.code}</div>}
            {details && (
              <details>
                <summary>Details from the server</summary>
                <div className={styles.details}>{details}</div>
              </details>
            )}
          </MessageBarBody>
        </MessageBar>
      )}
      {r.steps.length > 0 && (
        <ul className={styles.steps} aria-label="Verification steps">
          {r.steps.map((s, i) => (
            <li key={i} className={styles.step}>
              {s.ok ? (
                <CheckmarkCircleFilled className={styles.ok} aria-label="succeeded" />
              ) : (
                <DismissCircleFilled className={styles.bad} aria-label="failed" />
              )}
              <Text>
                <b>{s.name}</b>
                {s.detail ? ` — ${s.detail}` : ''}
              </Text>
            </li>
          ))}
        </ul>
      )}
      {r.warnings.map((w, i) => (
        <MessageBar key={i} intent="warning">
          <MessageBarBody>{w}</MessageBarBody>
        </MessageBar>
      ))}
      {Object.keys(r.facts).length > 0 && (
        <dl className={styles.facts} aria-label="What the server told us">
          {Object.entries(r.facts).map(([k, v]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt className={styles.dt}>{k}</dt>
              <dd className={styles.dd}>{factText(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
