// A virtualised table for lists of any size (100,000 users, a million report
// entries): only the visible rows are in the DOM. ARIA table roles keep it
// readable by screen readers; arrow keys move the focused row.
import { useVirtualizer } from '@tanstack/react-virtual';
import { makeStyles, tokens } from '@fluentui/react-components';
import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { columnTrack } from './columns.ts';

export interface Column<T> {
  key: string;
  header: string;
  /** A fixed length ('96px') or a share of the table ('15%'). Shares become grid
   * fractions with a floor that fits the header, so columns never overlap: when
   * the table is too narrow (a detail panel open) it scrolls sideways instead. */
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
  scroller: { overflow: 'auto', flexGrow: 1, position: 'relative', scrollPaddingTop: `${ROW}px` },
  head: {
    display: 'grid',
    position: 'sticky',
    top: 0,
    zIndex: 1,
    height: `${ROW}px`,
    alignItems: 'center',
    backgroundColor: tokens.colorNeutralBackground3,
    fontWeight: tokens.fontWeightSemibold,
    borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
  },
  body: { position: 'relative' },
  row: {
    display: 'grid',
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
  cell: {
    boxSizing: 'border-box',
    padding: '0 10px',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  headCell: {
    boxSizing: 'border-box',
    padding: '0 10px',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
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
    // The sticky header sits above the rows inside the same scroller.
    scrollMargin: ROW,
  });
  const layout = props.columns.map(columnTrack);
  const tracks = layout.map((l) => l.track).join(' ');
  // Below the sum of the floors the table scrolls sideways instead of overlapping.
  const minWidth = layout.reduce((sum, l) => sum + l.floor, 0);

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
      <div ref={parentRef} className={styles.scroller}>
        <div style={{ minWidth }}>
          <div role="rowgroup" className={styles.head} style={{ gridTemplateColumns: tracks }}>
            <div role="row" aria-rowindex={1} style={{ display: 'contents' }}>
              {props.columns.map((c) => (
                <div key={c.key} role="columnheader" className={styles.headCell} title={c.header}>
                  {c.header}
                </div>
              ))}
            </div>
          </div>
          <div
            role="rowgroup"
            className={styles.body}
            style={{ height: props.rows.length ? v.getTotalSize() : undefined }}
          >
            {props.rows.length === 0 && (
              <div role="row">
                <div role="cell" className={styles.empty}>
                  {props.empty ?? 'Nothing to show.'}
                </div>
              </div>
            )}
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
                  style={{ top: item.start - ROW, gridTemplateColumns: tracks }}
                  onClick={() => props.onOpen?.(row)}
                  onDoubleClick={() => props.onActivate?.(row)}
                  onKeyDown={(e) => onKey(e, item.index)}
                >
                  {props.columns.map((c) => (
                    <div key={c.key} role="cell" className={styles.cell}>
                      {c.render(row)}
                    </div>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
