// When main says something changed, reload the slices that show it.
import { useUsers } from './users.ts';

type What = 'users' | 'groups' | 'directories' | 'outbox' | 'reports' | 'runs';
const reloaders: Partial<Record<What, Array<() => void>>> = {
  users: [() => useUsers.getState().loaded && void useUsers.getState().load()],
  outbox: [() => useUsers.getState().loaded && void useUsers.getState().load()],
};

/** Slices register here to follow changes. */
export function onChange(what: What, reload: () => void): void {
  (reloaders[what] ??= []).push(reload);
}

export function refreshOnChange(what: What): void {
  for (const r of reloaders[what] ?? []) r();
}
