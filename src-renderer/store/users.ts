// Users slice: the list (small rows), the search text, and loading state.
// Filtering 100,000 rows per keystroke stays cheap: each row's searchable
// text is lower-cased once per load, not once per keystroke.
import { create } from 'zustand';
import type { OnboardingStatus, ProvisioningState, UserRow } from '../../src-preload/contract.ts';
import { call } from '../api.ts';
import { notifyError } from './notices.ts';
import { fold } from '../components/fold.ts';

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

export interface UserFilters {
  /** A directory id, 'none' (in no directory) or undefined (any). */
  directory?: string;
  /** Provisioning state in the chosen directory (or in any directory). */
  state?: ProvisioningState['state'];
  onboarding?: OnboardingStatus;
}

const haystacks = new WeakMap<UserRow[], string[]>();
function haystackOf(rows: UserRow[]): string[] {
  let h = haystacks.get(rows);
  if (!h) {
    h = rows.map((r) => fold(`${r.userName}\u0000${r.displayName}\u0000${r.email}\u0000${r.department}`));
    haystacks.set(rows, h);
  }
  return h;
}

/** Case- and accent-insensitive match on user name, display name, e-mail and department, plus the filters. */
export function filterUsers(rows: UserRow[], query: string, filters: UserFilters = {}): UserRow[] {
  const q = fold(query.trim());
  const { directory, state, onboarding } = filters;
  if (!q && !directory && !state && !onboarding) return rows;
  const hay = q ? haystackOf(rows) : undefined;
  const out: UserRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (hay && !hay[i]!.includes(q)) continue;
    if (onboarding && r.onboarding !== onboarding) continue;
    if (directory === 'none') {
      if (r.states.length > 0) continue;
    } else if (directory || state) {
      if (!r.states.some(([d, s]) => (!directory || d === directory) && (!state || s === state))) continue;
    }
    out.push(r);
  }
  return out;
}
