// Users slice: the list (small rows), the search text, and loading state.
import { create } from 'zustand';
import type { UserRow } from '../../src-preload/contract.ts';
import { call } from '../api.ts';
import { notifyError } from './notices.ts';

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
      set({ rows: await call('users.list', {}), loaded: true });
    } catch (err) {
      notifyError(err, 'Could not load users.');
    } finally {
      set({ loading: false });
    }
  },
}));

/** Case-insensitive match on user name, display name, e-mail and department. */
export function filterUsers(rows: UserRow[], query: string): UserRow[] {
  const q = query.trim().toLowerCase();
  if (!q) return rows;
  return rows.filter(
    (r) =>
      r.userName.toLowerCase().includes(q) ||
      r.displayName.toLowerCase().includes(q) ||
      r.email.toLowerCase().includes(q) ||
      r.department.toLowerCase().includes(q),
  );
}
