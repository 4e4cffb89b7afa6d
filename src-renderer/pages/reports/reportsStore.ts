// Reports slice: the filter being edited, the last search (its resolved
// filter, the rows loaded so far, the cursor of the next page) and loading.
import { create } from 'zustand';
import type {
  ReportFacets,
  ReportFilterInput,
  ReportRow,
  ResolvedReportFilter,
} from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { notifyError } from '../../store/notices.ts';
import { onChange } from '../../store/refresh.ts';

export type SpanChoice = '24h' | '7d' | '30d' | 'range' | 'all';

export interface FilterForm {
  user: string;
  application: string;
  action: string;
  status: '' | 'success' | 'failure' | 'skipped' | 'pending';
  span: SpanChoice;
  /** datetime-local values (local time) for a custom range. */
  from: string;
  to: string;
}

export const emptyForm: FilterForm = {
  user: '',
  application: '',
  action: '',
  status: '',
  span: '7d',
  from: '',
  to: '',
};

const PAGE = 200;

/** The form as the bridge's filter input. */
export function toFilterInput(f: FilterForm): ReportFilterInput {
  const span: ReportFilterInput['span'] =
    f.span === 'all'
      ? { kind: 'all' }
      : f.span === 'range'
        ? {
            kind: 'range',
            ...(f.from && { from: new Date(f.from).toISOString() }),
            ...(f.to && { to: new Date(f.to).toISOString() }),
          }
        : { kind: 'last', period: f.span };
  return {
    ...(f.user.trim() && { user: f.user.trim() }),
    ...(f.application && { application: f.application }),
    ...(f.action && { action: f.action }),
    ...(f.status && { status: f.status }),
    span,
  };
}

interface ReportsState {
  form: FilterForm;
  facets: ReportFacets;
  searched?: ResolvedReportFilter;
  rows: ReportRow[];
  next?: string;
  total: number;
  totalCapped: boolean;
  loading: boolean;
  /** A new search is running: the previous result is gone, not shown as if it matched. */
  searching: boolean;
  setForm(patch: Partial<FilterForm>): void;
  loadFacets(): Promise<void>;
  search(): Promise<void>;
  loadMore(): Promise<void>;
}

export const useReports = create<ReportsState>((set, get) => ({
  form: emptyForm,
  facets: { applications: [], actions: [] },
  rows: [],
  total: 0,
  totalCapped: false,
  loading: false,
  searching: false,
  setForm: (patch) => set((s) => ({ form: { ...s.form, ...patch } })),
  async loadFacets() {
    try {
      set({ facets: await call('reports.facets', {}) });
    } catch (err) {
      notifyError(err, 'Could not load the report filters.');
    }
  },
  async search() {
    set({ loading: true, searching: true, rows: [], next: undefined });
    try {
      const page = await call('reports.search', { filter: toFilterInput(get().form), limit: PAGE });
      set({
        searched: page.filter,
        rows: page.rows,
        next: page.next,
        total: page.total,
        totalCapped: page.totalCapped,
      });
    } catch (err) {
      notifyError(err, 'The search failed.');
    } finally {
      set({ loading: false, searching: false });
    }
  },
  async loadMore() {
    const { next, searched, loading } = get();
    if (!next || !searched || loading) return;
    set({ loading: true });
    try {
      const page = await call('reports.search', { resolved: searched, cursor: next, limit: PAGE });
      set((s) => ({ rows: [...s.rows, ...page.rows], next: page.next }));
    } catch (err) {
      notifyError(err, 'Could not load more entries.');
    } finally {
      set({ loading: false });
    }
  },
}));

onChange('reports', () => void useReports.getState().loadFacets());
