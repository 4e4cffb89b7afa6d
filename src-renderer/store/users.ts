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
  load(): Promise<void>;
}

export const useUsers = create<UsersState>((set) => ({
  rows: [],
  loaded: false,
  loading: false,
  async load() {
    set({ loading: true });
    try {
      const rows = await call('users.list', {});
      set({ rows, loaded: true });
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
