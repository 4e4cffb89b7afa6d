// A virtualised table for lists of any size (100,000 users, a million report
// entries): only the visible rows are in the DOM. ARIA table roles keep it
// readable by screen readers; arrow keys move the focused row.
import { useVirtualizer } from '@tanstack/react-virtual';
import { makeStyles, tokens } from '@fluentui/react-components';
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: string;
  width: string;
  render: (row: T) => ReactNode;
}

const ROW = 36;
const useStyles = makeStyles({
  table: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    display: 'flex',
    flexDirection: 'column',
    minHeight: '200px',
    flexGrow: 1,
  },
  head: {
    display: 'flex',
    backgroundColor: tokens.colorNeutralBackground3,
    fontWeight: tokens.fontWeightSemibold,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  scroller: { overflow: 'auto', flexGrow: 1, position: 'relative' },
  row: {
    display: 'flex',
    position: 'absolute',
    left: 0,
    right: 0,
    height: `${ROW}px`,
    alignItems: 'center',
    borderBottom: `1px solid ${tokens.colorNeutralStroke3}`,
    cursor: 'pointer',
    ':hover': { backgroundColor: tokens.colorNeutralBackground1Hover },
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}`, outlineOffset: '-2px' },
  },
  selected: { backgroundColor: tokens.colorNeutralBackground1Selected },
  cell: { boxSizing: 'border-box', padding: '0 10px', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', flexShrink: 0 },
  headCell: { boxSizing: 'border-box', padding: '8px 10px', flexShrink: 0 },
  empty: { padding: '24px', color: tokens.colorNeutralForeground3 },
});

export function VirtualTable<T>(props: {
  label: string;
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  /** Click: select the row. */
  onOpen?: (row: T) => void;
  /** Double-click or Enter: act on the row (open its editor). */
  onActivate?: (row: T) => void;
  selectedKey?: string;
  empty?: ReactNode;
  height?: string;
}) {
  const styles = useStyles();
  const parentRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: props.rows.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW,
    overscan: 12,
  });

  const onKey = (e: KeyboardEvent<HTMLDivElement>, index: number) => {
    const next = e.key === 'ArrowDown' ? index + 1 : e.key === 'ArrowUp' ? index - 1 : -1;
    if (e.key === 'Enter') (props.onActivate ?? props.onOpen)?.(props.rows[index]!);
    if (e.key === ' ' && props.onOpen) {
      e.preventDefault();
      props.onOpen(props.rows[index]!);
    }
    if (next >= 0 && next < props.rows.length) {
      e.preventDefault();
      v.scrollToIndex(next);
      requestAnimationFrame(() => parentRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)?.focus());
    }
  };

  return (
    <div
      className={styles.table}
      role="table"
      aria-label={props.label}
      aria-rowcount={props.rows.length + 1}
      style={{ height: props.height }}
    >
      <div role="rowgroup">
        <div className={styles.head} role="row" aria-rowindex={1}>
          {props.columns.map((c) => (
            <div key={c.key} role="columnheader" className={styles.headCell} style={{ width: c.width }}>
              {c.header}
            </div>
          ))}
        </div>
      </div>
      <div ref={parentRef} className={styles.scroller} role="rowgroup">
        {props.rows.length === 0 && (
          <div role="row">
            <div role="cell" className={styles.empty}>
              {props.empty ?? 'Nothing to show.'}
            </div>
          </div>
        )}
        <div style={{ height: v.getTotalSize() }}>
          {v.getVirtualItems().map((item) => {
            const row = props.rows[item.index]!;
            const key = props.rowKey(row);
            return (
              <div
                key={key}
                role="row"
                aria-rowindex={item.index + 2}
                data-index={item.index}
                tabIndex={0}
                className={`${styles.row} ${props.selectedKey === key ? styles.selected : ''}`}
                style={{ top: item.start }}
                onClick={() => props.onOpen?.(row)}
                onDoubleClick={() => props.onActivate?.(row)}
                onKeyDown={(e) => onKey(e, item.index)}
              >
                {props.columns.map((c) => (
                  <div key={c.key} role="cell" className={styles.cell} style={{ width: c.width }}>
                    {c.render(row)}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
