// Import slice: which directory the admin is importing from.
import { create } from 'zustand';

interface ImportState {
  directoryId?: string;
  choose(id: string | undefined): void;
}

export const useImport = create<ImportState>((set) => ({
  directoryId: undefined,
  choose: (directoryId) => set({ directoryId }),
}));
