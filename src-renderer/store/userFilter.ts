// Filtering the users list, kept free of React and the bridge so it can be unit-tested.
// Filtering 100,000 rows per keystroke stays cheap: each row's searchable text is
// folded (lower case, no accents) once per load, not once per keystroke.
import type { OnboardingStatus, ProvisioningState, UserRow } from '../../src-preload/contract.ts';
import { fold } from '../components/fold.ts';

export interface UserFilters {
  /** A directory id, 'none' (in no directory) or undefined (any). */
  directory?: string;
  /** Provisioning state in the chosen directory (or in any directory). */
  state?: ProvisioningState['state'];
  onboarding?: OnboardingStatus;
}

const haystacks = new WeakMap<UserRow[], string[]>();
export function haystackOf(rows: UserRow[]): string[] {
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
