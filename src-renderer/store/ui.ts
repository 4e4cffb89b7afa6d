// Navigation and theme. Pages are addressed by the URL hash (#/users) so a
// reload keeps the admin where they were.
import { create } from 'zustand';
import { useNotices } from './notices.ts';

export const pages = ['dashboard', 'directories', 'import', 'users', 'groups', 'reports', 'settings'] as const;
export type PageId = (typeof pages)[number];

const fromHash = (): PageId => {
  const h = window.location.hash.replace(/^#\/?/, '').split('/')[0] as PageId;
  return pages.includes(h) ? h : 'dashboard';
};

interface UiState {
  page: PageId;
  theme: 'light' | 'dark';
  /** `section`: a part of the page to scroll to (#/settings/mail). */
  go(page: PageId, section?: string): void;
  setTheme(theme: 'light' | 'dark'): void;
}

export const useUi = create<UiState>((set) => ({
  page: fromHash(),
  theme: (localStorage.getItem('pd.theme') as 'light' | 'dark' | null) ?? 'light',
  go(page, section) {
    if (page !== useUi.getState().page) useNotices.getState().leavePage();
    window.location.hash = section ? `#/${page}/${section}` : `#/${page}`;
    set({ page });
  },
  setTheme(theme) {
    localStorage.setItem('pd.theme', theme);
    set({ theme });
  },
}));

/** The section named in the URL (#/settings/mail → 'mail'), if any. */
export const sectionFromHash = (): string | undefined => window.location.hash.replace(/^#\/?/, '').split('/')[1];

window.addEventListener('hashchange', () => {
  const page = fromHash();
  if (page !== useUi.getState().page) useNotices.getState().leavePage();
  useUi.setState({ page });
});
