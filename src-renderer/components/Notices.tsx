import {
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Button,
  makeStyles,
} from '@fluentui/react-components';
import { DismissRegular } from '@fluentui/react-icons';
import { useNotices } from '../store/notices.ts';

const useStyles = makeStyles({
  stack: { display: 'flex', flexDirection: 'column', gap: '6px', marginBottom: '12px' },
  details: { whiteSpace: 'pre-wrap', fontFamily: 'monospace', fontSize: '12px', maxHeight: '160px', overflow: 'auto' },
});

/** Results and errors in the admin's words; the server's message under "Details". */
export function Notices() {
  const { notices, dismiss } = useNotices();
  const styles = useStyles();
  if (notices.length === 0) return null;
  return (
    <div className={styles.stack} role="status" aria-live="polite">
      {notices.map((n) => (
        <MessageBar key={n.id} intent={n.level} layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>{n.message}</MessageBarTitle>
            {n.details && (
              <details>
                <summary>Details</summary>
                <div className={styles.details}>{n.details}</div>
              </details>
            )}
          </MessageBarBody>
          <MessageBarActions
            containerAction={
              <Button
                aria-label="Dismiss"
                appearance="transparent"
                icon={<DismissRegular />}
                onClick={() => dismiss(n.id)}
              />
            }
          />
        </MessageBar>
      ))}
    </div>
  );
}
