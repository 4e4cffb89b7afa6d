// Notifications: results and errors in the admin's words; the server's own
// message is kept in details, shown on demand.
import { create } from 'zustand';
import { BridgeFailure } from '../api.ts';

export interface Notice {
  id: number;
  level: 'info' | 'success' | 'warning' | 'error';
  message: string;
  details?: string;
}

interface NoticesState {
  notices: Notice[];
  push(n: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
  /** A page change: its errors and warnings belonged to the page left behind. */
  leavePage(): void;
}

let nextId = 1;
export const useNotices = create<NoticesState>((set) => ({
  notices: [],
  push: (n) => {
    const id = nextId++;
    // The same message again replaces the old one instead of stacking; at most three show.
    set((s) => ({
      notices: [...s.notices.filter((x) => x.message !== n.message || x.level !== n.level).slice(-2), { ...n, id }],
    }));
    // Results fade on their own; warnings and errors stay until dismissed.
    if (n.level === 'success' || n.level === 'info')
      setTimeout(() => set((s) => ({ notices: s.notices.filter((x) => x.id !== id) })), 8000);
  },
  dismiss: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
  leavePage: () => set((s) => ({ notices: s.notices.filter((n) => n.level === 'success' || n.level === 'info') })),
}));

export function detailsText(details: unknown): string | undefined {
  if (details === undefined || details === null) return undefined;
  if (typeof details === 'string') return details;
  return JSON.stringify(details, null, 2);
}

/** Shows a failed call as an error notice. */
export function notifyError(err: unknown, fallback = 'The action failed.'): void {
  if (err instanceof BridgeFailure)
    useNotices.getState().push({ level: 'error', message: err.error.message, details: detailsText(err.error.details) });
  else
    useNotices
      .getState()
      .push({ level: 'error', message: fallback, details: err instanceof Error ? err.message : String(err) });
}

export function notifySuccess(message: string): void {
  useNotices.getState().push({ level: 'success', message });
}
