// Local user management: validation in the admin's words, the change and
// its provisioning work written in one transaction.
import { userInputSchema, type User, type UserInput } from '../../src-preload/model.ts';
import type { UserDetail, UserRow, OnboardingStatus } from '../../src-preload/contract/users.ts';
import { AppError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { UsersRepo } from '../store/users.ts';
import type { LinksRepo } from '../store/links.ts';
import type { ChangeRecorder } from '../sync/changes.ts';
import type { EventBus } from '../events/bus.ts';

export interface UsersServiceDeps {
  db: Db;
  users: UsersRepo;
  links: LinksRepo;
  changes: ChangeRecorder;
  events: EventBus;
}

interface UserRowDb {
  id: string;
  user_name: string;
  display_name: string;
  email: string;
  data: string;
  active: number;
  removing: number;
}

function toRow(
  r: UserRowDb,
  states: Map<string, UserRow['states']>,
  onboarding: Map<string, OnboardingStatus>,
): UserRow {
  return {
    id: r.id,
    userName: r.user_name,
    displayName: r.display_name,
    email: r.email,
    department: (JSON.parse(r.data) as UserInput).department ?? '',
    active: r.active === 1,
    onboarding: onboarding.get(r.id) ?? 'notInvited',
    states: states.get(r.id) ?? [],
    ...(r.removing === 1 ? { removing: true } : {}),
  };
}

export class UsersService {
  private readonly d: UsersServiceDeps;
  constructor(deps: UsersServiceDeps) {
    this.d = deps;
  }

  list(): UserRow[] {
    const states = this.d.links.compactStates('user');
    const onboarding = new Map(
      this.d.db
        .all<{ user_id: string; status: OnboardingStatus }>('SELECT user_id, status FROM onboarding')
        .map((r) => [r.user_id, r.status]),
    );
    return this.d.db
      .all<UserRowDb>('SELECT id, user_name, display_name, email, data, active, removing FROM users ORDER BY user_name')
      .map((r) => toRow(r, states, onboarding));
  }

  /** The first screen of the list (by user name) and how many there are: what the page shows
   * while the whole list is still on its way. Reads only the page's own states. */
  page(offset: number, limit: number): { rows: UserRow[]; total: number } {
    const page = this.d.db.all<UserRowDb>(
      'SELECT id, user_name, display_name, email, data, active, removing FROM users ORDER BY user_name LIMIT ? OFFSET ?',
      limit,
      offset,
    );
    const ids = JSON.stringify(page.map((r) => r.id));
    const states = new Map<string, UserRow['states']>();
    for (const l of this.d.db.all<{ local_id: string; directory_id: string; state: UserRow['states'][number][1] }>(
      "SELECT local_id, directory_id, state FROM links WHERE object_type = 'user' AND local_id IN (SELECT value FROM json_each(?))",
      ids,
    ))
      states.set(l.local_id, [...(states.get(l.local_id) ?? []), [l.directory_id, l.state]]);
    const onboarding = new Map(
      this.d.db
        .all<{ user_id: string; status: OnboardingStatus }>(
          'SELECT user_id, status FROM onboarding WHERE user_id IN (SELECT value FROM json_each(?))',
          ids,
        )
        .map((r) => [r.user_id, r.status]),
    );
    return {
      rows: page.map((r) => toRow(r, states, onboarding)),
      total: this.d.db.get<{ n: number }>('SELECT count(*) AS n FROM users')?.n ?? 0,
    };
  }

  get(id: string): UserDetail {
    const user = this.d.users.get(id);
    if (!user) throw notFound('The user', id);
    const o = this.d.db.get<{
      status: OnboardingStatus;
      invited_at: string | null;
      activated_at: string | null;
      token_expires: string | null;
      reason: string | null;
    }>('SELECT status, invited_at, activated_at, token_expires, reason FROM onboarding WHERE user_id = ?', id);
    return {
      user,
      ...(this.d.users.isRemoving(id) ? { removing: true } : {}),
      provisioning: this.d.links.statesOf(id),
      onboarding: {
        status: o?.status ?? 'notInvited',
        invitedAt: o?.invited_at ?? undefined,
        activatedAt: o?.activated_at ?? undefined,
        expiresAt: o?.token_expires ?? undefined,
        reason: o?.reason ?? undefined,
      },
    };
  }

  create(raw: UserInput, password?: string): User {
    const input = this.validate(raw);
    const user = this.d.db.transaction(() => {
      this.assertUnique(input);
      this.assertManager(input);
      const created = this.d.users.insert(input);
      this.d.db.bumpLocalChange();
      this.d.changes.record({ type: 'user.create', user: created, password });
      return created;
    });
    this.changed();
    return user;
  }

  update(id: string, raw: UserInput, expectedVersion?: number): User {
    const input = this.validate(raw);
    const user = this.d.db.transaction(() => {
      const before = this.d.users.get(id);
      if (!before) throw notFound('The user', id);
      if (this.d.users.isRemoving(id)) throw beingRemoved(before.userName);
      if (expectedVersion !== undefined && before.meta.version !== expectedVersion)
        throw new AppError('conflict', 'Someone changed this user since you opened it. Reload and try again.');
      this.assertUnique(input, id);
      this.assertManager(input, id);
      const after = this.d.users.update(id, input);
      this.d.db.bumpLocalChange();
      this.d.changes.record({ type: 'user.update', before, after });
      return after;
    });
    this.changed();
    return user;
  }

  /**
   * Deletes the user: where directories have Delete on, the user stays listed as being removed until
   * each has confirmed the disable or delete (a refusal shows on the user with its reason). Deleting
   * a user already being removed, with nothing left in progress, removes it from the app regardless.
   */
  delete(id: string): { removing: boolean } {
    const result = this.d.db.transaction(() => {
      const user = this.d.users.get(id);
      if (!user) throw notFound('The user', id);
      if (this.d.users.isRemoving(id)) {
        if (
          this.d.db.get(
            "SELECT 1 AS x FROM outbox WHERE local_id = ? AND op = 'user.delete' AND state IN ('pending','running')",
            id,
          )
        )
          throw new AppError('conflict', `${user.userName} is being removed from the directories already.`);
        this.d.users.delete(id);
        this.d.db.bumpLocalChange();
        return { removing: false };
      }
      // Record first: the provisioning side still needs the user's links and groups.
      const queued = this.d.changes.record({ type: 'user.delete', user });
      if (queued > 0) this.d.users.markRemoving(id);
      else this.d.users.delete(id);
      this.d.db.bumpLocalChange();
      return { removing: queued > 0 };
    });
    this.changed();
    return result;
  }

  setPassword(id: string, password: string, mustChange: boolean): number {
    const queued = this.d.db.transaction(() => {
      const user = this.d.users.get(id);
      if (!user) throw notFound('The user', id);
      if (this.d.users.isRemoving(id)) throw beingRemoved(user.userName);
      return this.d.changes.record({ type: 'user.password', user, password, mustChange });
    });
    this.d.events.emit('app.changed', { what: 'outbox' });
    return queued;
  }

  private validate(raw: UserInput): UserInput {
    const parsed = userInputSchema.safeParse(raw);
    if (!parsed.success)
      throw new AppError('validation', 'Some fields are not valid.', { fields: parsed.error.issues });
    return parsed.data;
  }

  private assertUnique(input: UserInput, selfId?: string): void {
    const other = this.d.users.byUserName(input.userName);
    if (other && other.id !== selfId)
      throw new AppError('conflict', `A user named "${input.userName}" already exists.`, { field: 'userName' });
  }

  private assertManager(input: UserInput, selfId?: string): void {
    if (!input.managerId) return;
    if (input.managerId === selfId) throw new AppError('validation', 'A user cannot be their own manager.');
    if (!this.d.users.get(input.managerId)) throw new AppError('validation', 'The chosen manager does not exist.');
  }

  private changed(): void {
    this.d.events.emit('app.changed', { what: 'users' });
  }
}

const beingRemoved = (userName: string) =>
  new AppError('conflict', `${userName} is being removed from the directories; it can no longer be changed.`);
