// Import slice: the directory being imported from, the preview in progress
// (objects read, rate, operation id for Cancel), the plan's summary, the
// rows of the current filter and which rows are left out of the commit.
import { create } from 'zustand';
import type {
  CommittedCounts,
  PlanRow,
  Progress,
  RowAction,
  RowObjectType,
  RunSummary,
} from '../../src-preload/contract.ts';
import { BridgeFailure, call, on } from '../api.ts';
import { detailsText, notifyError, useNotices } from './notices.ts';

export interface RowFilter {
  objectType?: RowObjectType;
  action?: RowAction;
  text: string;
}

const CHUNK = 5000;

interface ImportState {
  directoryId?: string;
  phase: 'idle' | 'previewing' | 'ready' | 'committing' | 'committed';
  progress?: Progress & { startedAt: number };
  /** Objects the previous preview of this directory read: the estimate's basis. */
  expected?: number;
  run?: RunSummary;
  filter: RowFilter;
  rows: PlanRow[];
  total: number;
  rowsLoading: boolean;
  /** Rows the admin unticked (everything else is committed). */
  excluded: Set<number>;
  /** Rows whose action is known, by seq (for restating the selection). */
  known: Map<number, PlanRow>;
  committed?: CommittedCounts;
  /** The commit under way: gathering the selection (rows counted), then applying it in one step. */
  commitProgress?: { phase: 'selecting' | 'applying'; done: number; total: number; startedAt: number };
  /** Commit refused by the deletion threshold: the admin may allow it explicitly. */
  thresholdError?: { message: string; details?: string };
  choose(id: string | undefined): void;
  /** 'auto': the changes since the last committed import when possible; 'full': everything. */
  preview(mode?: 'auto' | 'full'): Promise<void>;
  cancel(): Promise<void>;
  setFilter(f: Partial<RowFilter>): void;
  loadRows(): Promise<void>;
  toggle(seq: number): void;
  setMany(seqs: number[], included: boolean): void;
  commit(allowDeletes: boolean): Promise<boolean>;
  /** Opens a run made elsewhere (a held scheduled run) as the current preview. */
  open(runId: string, directoryId: string): Promise<boolean>;
  reset(): void;
}

let rowsToken = 0;

/** The state of "no preview yet": fresh collections each time. */
const noPlan = () => ({
  phase: 'idle' as const,
  run: undefined,
  rows: [],
  total: 0,
  excluded: new Set<number>(),
  known: new Map(),
  committed: undefined,
  thresholdError: undefined,
});

export const useImport = create<ImportState>((set, get) => ({
  directoryId: undefined,
  phase: 'idle',
  filter: { text: '' },
  rows: [],
  total: 0,
  rowsLoading: false,
  excluded: new Set(),
  known: new Map(),

  choose(directoryId) {
    if (get().phase === 'previewing' || get().phase === 'committing') return;
    set({ directoryId, ...noPlan() });
  },

  reset() {
    set({ ...noPlan(), progress: undefined });
  },

  async open(runId, directoryId) {
    if (get().phase === 'previewing' || get().phase === 'committing') return false;
    try {
      const run = (await call('runs.list', { directoryId, kind: 'import' })).find((r) => r.runId === runId);
      if (!run) throw new Error('That run is no longer listed.');
      set({ directoryId, ...noPlan(), run, phase: 'ready', filter: { text: '' } });
      void get().loadRows();
      return true;
    } catch (err) {
      notifyError(err, 'Could not open the run.');
      return false;
    }
  },

  async preview(mode = 'auto') {
    const directoryId = get().directoryId;
    if (!directoryId || get().phase === 'previewing') return;
    const startedAt = Date.now();
    set({
      phase: 'previewing',
      progress: { operationId: '', operation: 'import', phase: 'starting', done: 0, startedAt },
      run: undefined,
      rows: [],
      total: 0,
      excluded: new Set(),
      known: new Map(),
      committed: undefined,
      thresholdError: undefined,
    });
    // The estimate: what the last good preview of this directory read.
    void call('runs.list', { directoryId, kind: 'import' })
      .then((runs) => {
        // A full read is estimated from the last full one (a delta reads only the changes).
        const last = runs.find(
          (r) =>
            r.status !== 'failed' &&
            r.status !== 'cancelled' &&
            r.read.users + r.read.groups > 0 &&
            (mode !== 'full' || r.mode === 'full'),
        );
        set({ expected: last ? last.read.users + last.read.groups : undefined });
      })
      .catch(() => undefined);
    const off = on('app.progress', (p) => {
      const cur = get().progress;
      if (p.operation !== 'import' || get().phase !== 'previewing' || !cur) return;
      if (cur.operationId && cur.operationId !== p.operationId) return;
      set({ progress: { ...p, startedAt } });
    });
    try {
      const run = await call('import.preview', { directoryId, mode });
      set({ run, phase: 'ready', filter: { text: '', objectType: undefined, action: undefined } });
      void get().loadRows();
    } catch (err) {
      set({ phase: 'idle' });
      if (err instanceof BridgeFailure && err.error.code === 'cancelled')
        useNotices.getState().push({ level: 'info', message: err.error.message });
      else notifyError(err, 'The preview failed.');
    } finally {
      off();
    }
  },

  async cancel() {
    const id = get().progress?.operationId;
    if (!id) return;
    try {
      await call('app.cancel', { operationId: id });
    } catch (err) {
      notifyError(err);
    }
  },

  setFilter(f) {
    set({ filter: { ...get().filter, ...f } });
    void get().loadRows();
  },

  async loadRows() {
    const run = get().run;
    if (!run) return;
    const token = ++rowsToken;
    const { objectType, action, text } = get().filter;
    const base = {
      runId: run.runId,
      objectType,
      actions: action ? [action] : undefined,
      text: text.trim() || undefined,
    };
    set({ rowsLoading: true });
    try {
      let offset = 0;
      let rows: PlanRow[] = [];
      for (;;) {
        const page = await call('import.rows', { ...base, offset, limit: offset === 0 ? 500 : CHUNK });
        if (token !== rowsToken) return;
        rows = rows.concat(page.rows);
        const known = get().known;
        for (const r of page.rows) known.set(r.seq, r);
        set({ rows, total: page.total });
        offset += page.rows.length;
        if (page.rows.length === 0 || offset >= page.total) break;
      }
    } catch (err) {
      notifyError(err, 'Could not load the preview rows.');
    } finally {
      if (token === rowsToken) set({ rowsLoading: false });
    }
  },

  toggle(seq) {
    const excluded = new Set(get().excluded);
    if (excluded.has(seq)) excluded.delete(seq);
    else excluded.add(seq);
    set({ excluded });
  },

  setMany(seqs, included) {
    const excluded = new Set(get().excluded);
    for (const s of seqs) {
      if (included) excluded.delete(s);
      else excluded.add(s);
    }
    set({ excluded });
  },

  async commit(allowDeletes) {
    const { run, excluded } = get();
    if (!run) return false;
    const startedAt = Date.now();
    const total = totalRowsOf(run);
    set({
      phase: 'committing',
      thresholdError: undefined,
      commitProgress: { phase: 'applying', done: 0, total, startedAt },
    });
    try {
      let seqs: number[] | undefined;
      if (excluded.size > 0) {
        // Every row of the plan but the unticked ones.
        seqs = [];
        for (let offset = 0; ;) {
          set({ commitProgress: { phase: 'selecting', done: offset, total, startedAt } });
          const page = await call('import.rows', { runId: run.runId, offset, limit: CHUNK });
          for (const r of page.rows) if (!excluded.has(r.seq)) seqs.push(r.seq);
          offset += page.rows.length;
          if (page.rows.length === 0 || offset >= page.total) break;
        }
      }
      set({ commitProgress: { phase: 'applying', done: 0, total: seqs?.length ?? total - excluded.size, startedAt } });
      const result = await call('import.commit', { runId: run.runId, seqs, allowDeletes });
      set({ phase: 'committed', committed: result.committed, commitProgress: undefined });
      return true;
    } catch (err) {
      set({ phase: 'ready', commitProgress: undefined });
      if (err instanceof BridgeFailure && err.error.code === 'threshold')
        set({ thresholdError: { message: err.error.message, details: detailsText(err.error.details) } });
      else notifyError(err, 'The commit failed.');
      return false;
    }
  },
}));

function totalRowsOf(run: RunSummary): number {
  const a = (c: RunSummary['users']) => c.create + c.update + c.unchanged + c.missing + c.conflict;
  return a(run.users) + a(run.groups) + run.memberships.add + run.memberships.remove;
}
