// The import preview CSV: opens in Excel as UTF-8, says which rows are
// selected, and never hands a spreadsheet a formula.
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { PlanRow } from '../../src-preload/contract/sync.ts';
import { previewCsv } from '../../src-main/sync/preview-csv.ts';

const row = (over: Partial<PlanRow>): PlanRow =>
  ({ seq: 1, objectType: 'user', action: 'create', display: 'Ann', ...over }) as PlanRow;

describe('preview CSV', () => {
  it('starts with a byte-order mark, ends lines with CRLF and keeps accents', () => {
    const csv = previewCsv([row({ display: 'Müller, Jürgen', changes: { sn: [null, 'Müller'] } })]);
    expect(csv.startsWith('\ufeffseq,selected,object,action,name,attribute,old,new,reason\r\n')).toBe(true);
    expect(csv).toContain('"Müller, Jürgen",sn,,Müller,');
  });

  it('says per row whether it is selected', () => {
    const csv = previewCsv(
      [
        row({ seq: 1 }),
        row({ seq: 2, display: 'Bob', action: 'update', changes: { title: ['A', 'B'], mail: ['x', 'y'] } }),
      ],
      new Set([2]),
    );
    const records = parse(csv.slice(1), { columns: true }) as Array<Record<string, string>>;
    expect(records.map((r) => [r.seq, r.selected, r.attribute])).toEqual([
      ['1', 'yes', ''],
      ['2', 'no', 'title'],
      ['2', 'no', 'mail'],
    ]);
  });

  it('makes formula-like cells text', () => {
    const csv = previewCsv([row({ display: '=HYPERLINK("http://x.test")', changes: { title: ['+1', '@SUM(A1)'] } })]);
    const [rec] = parse(csv.slice(1), { columns: true }) as Array<Record<string, string>>;
    expect(rec!.name).toBe(`'=HYPERLINK("http://x.test")`);
    expect(rec!.old).toBe(`'+1`);
    expect(rec!.new).toBe(`'@SUM(A1)`);
  });
});
