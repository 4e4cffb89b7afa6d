// Users slice: the list (small rows), the search text, and loading state.
// Filtering lives in userFilter.ts.
import { create } from 'zustand';
import type { UserRow } from '../../src-preload/contract.ts';
import { call } from '../api.ts';
import { notifyError } from './notices.ts';
import { haystackOf } from './userFilter.ts';

interface UsersState {
  rows: UserRow[];
  loaded: boolean;
  loading: boolean;
  /** How many users there are, known from the first screen before the whole list arrives. */
  total?: number;
  /** Only the first screen is here yet. */
  partial: boolean;
  load(): Promise<void>;
}

const FIRST_SCREEN = 100;

export const useUsers = create<UsersState>((set, get) => ({
  rows: [],
  loaded: false,
  loading: false,
  partial: false,
  async load() {
    set({ loading: true });
    try {
      // The first screen and the count come first; the whole list (for search and sort) follows.
      if (!get().loaded) {
        const first = await call('users.page', { offset: 0, limit: FIRST_SCREEN });
        if (!get().loaded) set({ rows: first.rows, total: first.total, partial: first.rows.length < first.total });
      }
      const rows = await call('users.list', {});
      set({ rows, loaded: true, total: rows.length, partial: false });
      // Lower-case the searchable text now, not on the first keystroke.
      setTimeout(() => haystackOf(rows), 0);
    } catch (err) {
      notifyError(err, 'Could not load users.');
    } finally {
      set({ loading: false });
    }
  },
}));

export { filterUsers, type UserFilters } from './userFilter.ts';
