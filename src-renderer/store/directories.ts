// Directories slice: the configured directories with their work counts.
import { create } from 'zustand';
import type { DirectoryView } from '../../src-preload/contract.ts';
import { call } from '../api.ts';
import { notifyError } from './notices.ts';
import { onChange } from './refresh.ts';

interface DirectoriesState {
  list: DirectoryView[];
  loaded: boolean;
  load(): Promise<void>;
}

export const useDirectories = create<DirectoriesState>((set) => ({
  list: [],
  loaded: false,
  async load() {
    try {
      set({ list: await call('directories.list', {}), loaded: true });
    } catch (err) {
      notifyError(err, 'Could not load the directories.');
    }
  },
}));

const reload = () => {
  if (useDirectories.getState().loaded) void useDirectories.getState().load();
};
onChange('directories', reload);
onChange('outbox', reload);
onChange('runs', reload);

/** Name of a directory by id, for lists that only carry ids. */
export function directoryName(list: DirectoryView[], id: string): string {
  return list.find((d) => d.id === id)?.config.name ?? id;
}
