// Groups slice: the list of groups (small rows).
import { create } from 'zustand';
import type { GroupRow } from '../../src-preload/contract.ts';
import { call } from '../api.ts';
import { notifyError } from './notices.ts';
import { onChange } from './refresh.ts';
import { fold } from '../components/fold.ts';

interface GroupsState {
  rows: GroupRow[];
  loaded: boolean;
  load(): Promise<void>;
}

export const useGroups = create<GroupsState>((set) => ({
  rows: [],
  loaded: false,
  async load() {
    try {
      set({ rows: await call('groups.list', {}), loaded: true });
    } catch (err) {
      notifyError(err, 'Could not load groups.');
    }
  },
}));

const reload = () => {
  if (useGroups.getState().loaded) void useGroups.getState().load();
};
onChange('groups', reload);
onChange('outbox', reload);

export function filterGroups(rows: GroupRow[], query: string): GroupRow[] {
  const q = fold(query.trim());
  if (!q) return rows;
  return rows.filter((r) => fold(r.displayName).includes(q) || fold(r.description).includes(q));
}
