// The import preview as CSV for a spreadsheet: one line per changed attribute
// (or one per row without changes), and whether the row is in the selection
// the admin would commit. Written like the report export (UTF-8 with a
// byte-order mark so Excel reads the accents, CRLF, formula-like cells made
// text) because both end up in the same spreadsheet tools.
import { stringify } from 'csv-stringify/sync';
import type { PlanRow } from '../../src-preload/contract/sync.ts';

/** The report export's format (the engine does not import the reports service): CRLF, formulas made text. */
const CSV_FORMAT = { record_delimiter: 'windows', escape_formulas: true } as const;

export const PREVIEW_CSV_COLUMNS = [
  'seq',
  'selected',
  'object',
  'action',
  'name',
  'attribute',
  'old',
  'new',
  'reason',
] as const;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join('; ') : String(v);
}

/** `excluded`: the rows the admin unticked; every other row is selected. */
export function previewCsv(rows: Iterable<PlanRow>, excluded: ReadonlySet<number> = new Set()): string {
  const records: string[][] = [];
  for (const p of rows) {
    const head = [String(p.seq), excluded.has(p.seq) ? 'no' : 'yes', p.objectType, p.action, p.display];
    const changes = Object.entries(p.changes ?? {});
    if (changes.length === 0) records.push([...head, '', '', '', p.reason ?? '']);
    for (const [attr, [a, b]] of changes) records.push([...head, attr, cell(a), cell(b), p.reason ?? '']);
  }
  return stringify(records, { ...CSV_FORMAT, header: true, columns: [...PREVIEW_CSV_COLUMNS], bom: true });
}
