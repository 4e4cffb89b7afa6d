// A virtualised table for lists of any size (100,000 users, a million report
// entries): only the visible rows are in the DOM. ARIA table roles keep it
// readable by screen readers; arrow keys move the focused row. Columns with
// a sort value sort on a click of their header (again: the other way).
import { useVirtualizer } from '@tanstack/react-virtual';
import { makeStyles, tokens } from '@fluentui/react-components';
import { useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { ArrowSortDownRegular, ArrowSortUpRegular } from '@fluentui/react-icons';
import { columnTrack } from './columns.ts';
import { collator } from './fold.ts';

export interface Column<T> {
  key: string;
  header: string;
  /** A fixed length ('96px') or a share of the table ('15%'). Shares become grid
   * fractions with a floor that fits the header, so columns never overlap: when
   * the table is too narrow (a detail panel open) it scrolls sideways instead. */
  width: string;
  render: (row: T) => ReactNode;
  /** The value the column sorts by; without it the column does not sort. */
  sort?: (row: T) => string | number;
  /** Long text wraps onto the row's lines (with a taller rowHeight) instead of being cut. */
  wrap?: boolean;
}

type SortState = { key: string; dir: 'ascending' | 'descending' } | undefined;

function sortRows<T>(rows: T[], columns: Column<T>[], sort: SortState): T[] {
  const col = sort && columns.find((c) => c.key === sort.key);
  if (!sort || !col?.sort) return rows;
  const value = col.sort;
  const keyed = rows.map((r) => [value(r), r] as const);
  const sign = sort.dir === 'ascending' ? 1 : -1;
  keyed.sort(([a], [b]) =>
    typeof a === 'number' && typeof b === 'number' ? (a - b) * sign : collator.compare(String(a), String(b)) * sign,
  );
  return keyed.map(([, r]) => r);
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
  wrapCell: {
    boxSizing: 'border-box',
    padding: '2px 10px',
    overflow: 'hidden',
    display: '-webkit-box',
    WebkitBoxOrient: 'vertical' as never,
    WebkitLineClamp: '2' as never,
    whiteSpace: 'normal',
    wordBreak: 'break-word',
    lineHeight: '18px',
  },
  sortButton: {
    background: 'none',
    border: 'none',
    padding: 0,
    margin: 0,
    font: 'inherit',
    color: 'inherit',
    cursor: 'pointer',
    display: 'inline-flex',
    alignItems: 'center',
    gap: '4px',
    maxWidth: '100%',
    fontWeight: tokens.fontWeightSemibold,
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}` },
  },
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
  /** Pixels per row (default 36); taller rows give wrapping columns their lines. */
  rowHeight?: number;
}) {
  const styles = useStyles();
  const parentRef = useRef<HTMLDivElement>(null);
  const [sort, setSort] = useState<SortState>();
  const rows = useMemo(() => sortRows(props.rows, props.columns, sort), [props.rows, props.columns, sort]);
  const rowHeight = props.rowHeight ?? ROW;
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => rowHeight,
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
    if (e.key === 'Enter') (props.onActivate ?? props.onOpen)?.(rows[index]!);
    if (e.key === ' ' && props.onOpen) {
      e.preventDefault();
      props.onOpen(rows[index]!);
    }
    if (next >= 0 && next < rows.length) {
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
      aria-rowcount={rows.length + 1}
      style={{ height: props.height }}
    >
      <div ref={parentRef} className={styles.scroller}>
        <div style={{ minWidth }}>
          <div role="rowgroup" className={styles.head} style={{ gridTemplateColumns: tracks }}>
            <div role="row" aria-rowindex={1} style={{ display: 'contents' }}>
              {props.columns.map((c) => {
                const dir = sort?.key === c.key ? sort.dir : undefined;
                return (
                  <div
                    key={c.key}
                    role="columnheader"
                    className={styles.headCell}
                    title={c.header}
                    aria-sort={c.sort ? (dir ?? 'none') : undefined}
                  >
                    {c.sort ? (
                      <button
                        type="button"
                        className={styles.sortButton}
                        onClick={() =>
                          setSort(
                            dir === 'ascending'
                              ? { key: c.key, dir: 'descending' }
                              : dir === 'descending'
                                ? undefined
                                : { key: c.key, dir: 'ascending' },
                          )
                        }
                      >
                        {c.header}
                        {dir === 'ascending' && <ArrowSortUpRegular aria-hidden />}
                        {dir === 'descending' && <ArrowSortDownRegular aria-hidden />}
                      </button>
                    ) : (
                      c.header
                    )}
                  </div>
                );
              })}
            </div>
          </div>
          <div role="rowgroup" className={styles.body} style={{ height: rows.length ? v.getTotalSize() : undefined }}>
            {rows.length === 0 && (
              <div role="row">
                <div role="cell" className={styles.empty}>
                  {props.empty ?? 'Nothing to show.'}
                </div>
              </div>
            )}
            {v.getVirtualItems().map((item) => {
              const row = rows[item.index]!;
              const key = props.rowKey(row);
              return (
                <div
                  key={key}
                  role="row"
                  aria-rowindex={item.index + 2}
                  data-index={item.index}
                  tabIndex={0}
                  className={`${styles.row} ${props.selectedKey === key ? styles.selected : ''}`}
                  style={{ top: item.start - ROW, gridTemplateColumns: tracks, height: rowHeight }}
                  onClick={() => props.onOpen?.(row)}
                  onDoubleClick={() => props.onActivate?.(row)}
                  onKeyDown={(e) => onKey(e, item.index)}
                >
                  {props.columns.map((c) => (
                    <div key={c.key} role="cell" className={c.wrap ? styles.wrapCell : styles.cell}>
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
