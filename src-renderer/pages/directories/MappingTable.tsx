// Editable attribute mapping rows: model attribute ↔ directory attribute.
import {
  Button,
  Input,
  Select,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
} from '@fluentui/react-components';
import { AddRegular, ArrowResetRegular, DeleteRegular } from '@fluentui/react-icons';
import { VisuallyHidden } from '../../components/VisuallyHidden.tsx';
import type { MappingRow } from '../../../src-preload/contract.ts';

const useStyles = makeStyles({
  actions: { display: 'flex', gap: '8px', marginTop: '8px' },
  input: { width: '100%' },
});

export function MappingTable(props: {
  label: string;
  rows: MappingRow[];
  usingDefaults: boolean;
  remotePlaceholder: string;
  onChange: (rows: MappingRow[]) => void;
  onReset: () => void;
  /** A row the engine writes although the list above does not have it (shown read-only, with why). */
  engineRow?: { row: MappingRow; why: string };
}) {
  const styles = useStyles();
  const update = (i: number, patch: Partial<MappingRow>) =>
    props.onChange(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div>
      <Table size="small" aria-label={props.label}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Provision Desk attribute</TableHeaderCell>
            <TableHeaderCell>Directory attribute</TableHeaderCell>
            <TableHeaderCell style={{ width: 180 }}>Direction</TableHeaderCell>
            <TableHeaderCell style={{ width: 60 }}>
              <VisuallyHidden>Remove</VisuallyHidden>
            </TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {props.rows.map((r, i) => (
            <TableRow key={i}>
              <TableCell>
                <Input
                  className={styles.input}
                  aria-label={`${props.label} row ${i + 1}: Provision Desk attribute`}
                  value={r.model}
                  onChange={(_, d) => update(i, { model: d.value })}
                />
              </TableCell>
              <TableCell>
                <Input
                  className={styles.input}
                  aria-label={`${props.label} row ${i + 1}: directory attribute`}
                  placeholder={props.remotePlaceholder}
                  value={r.remote}
                  onChange={(_, d) => update(i, { remote: d.value })}
                />
              </TableCell>
              <TableCell>
                <Select
                  aria-label={`${props.label} row ${i + 1}: direction`}
                  value={r.direction}
                  onChange={(_, d) => update(i, { direction: d.value as MappingRow['direction'] })}
                >
                  <option value="both">Both ways</option>
                  <option value="import">Import only</option>
                  <option value="export">Provision only</option>
                </Select>
              </TableCell>
              <TableCell>
                <Button
                  appearance="subtle"
                  icon={<DeleteRegular />}
                  aria-label={`Remove ${props.label} row ${i + 1}`}
                  onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}
                />
              </TableCell>
            </TableRow>
          ))}
          {props.engineRow && (
            <TableRow aria-label={`${props.label}: row added by Provision Desk`}>
              <TableCell>{props.engineRow.row.model}</TableCell>
              <TableCell>{props.engineRow.row.remote}</TableCell>
              <TableCell>Both ways</TableCell>
              <TableCell />
            </TableRow>
          )}
        </TableBody>
      </Table>
      {props.engineRow && <Text size={200}>{props.engineRow.why}</Text>}
      <div className={styles.actions}>
        <Button
          icon={<AddRegular />}
          onClick={() => props.onChange([...props.rows, { model: '', remote: '', direction: 'both' }])}
        >
          Add mapping row
        </Button>
        <Button icon={<ArrowResetRegular />} disabled={props.usingDefaults} onClick={props.onReset}>
          Reset to defaults
        </Button>
      </div>
    </div>
  );
}
