// Per-directory provisioning state of one object, with the failure reason.
import {
  Badge,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from '@fluentui/react-components';
import type { ProvisioningState } from '../../src-preload/contract.ts';
import { when } from './format.ts';

export const stateColor = {
  provisioned: 'success',
  pending: 'warning',
  failed: 'danger',
  skipped: 'informative',
} as const;
export const stateLabel = {
  provisioned: 'Provisioned',
  pending: 'Pending',
  failed: 'Failed',
  skipped: 'Not provisioned',
} as const;

export function ProvisioningStates(props: { states: ProvisioningState[]; label: string }) {
  if (props.states.length === 0)
    return <Text style={{ color: tokens.colorNeutralForeground3 }}>Not linked to any directory yet.</Text>;
  return (
    <Table size="small" aria-label={props.label}>
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Directory</TableHeaderCell>
          <TableHeaderCell>State</TableHeaderCell>
          <TableHeaderCell>Updated</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {props.states.map((s) => (
          <TableRow key={s.directoryId}>
            <TableCell>{s.directoryName}</TableCell>
            <TableCell>
              <Badge appearance="tint" color={stateColor[s.state]}>
                {stateLabel[s.state]}
              </Badge>
              {s.reason && (
                <div>
                  <Text
                    size={200}
                    style={{
                      // A skipped object is expected, not an error: its reason is not in red.
                      color: s.state === 'skipped' ? tokens.colorNeutralForeground2 : tokens.colorPaletteRedForeground1,
                      wordBreak: 'break-word',
                    }}
                  >
                    {s.reason}
                  </Text>
                </div>
              )}
            </TableCell>
            <TableCell>
              <Text size={200}>{when(s.updated)}</Text>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** A list cell: how many directories hold the object in each state ("2 provisioned", "1 failed"). */
export function StateCounts(props: { states: Array<[string, ProvisioningState['state']]> }) {
  if (props.states.length === 0) return <>—</>;
  return (
    <span style={{ display: 'flex', gap: 4 }}>
      {(['provisioned', 'pending', 'failed', 'skipped'] as const).map((s) => {
        const n = props.states.filter(([, st]) => st === s).length;
        return n ? (
          <Badge key={s} appearance="tint" color={stateColor[s]}>
            {n} {s}
          </Badge>
        ) : null;
      })}
    </span>
  );
}
