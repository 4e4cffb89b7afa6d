// Onboarding rows (one per user: status, the hash of the live token, dates,
// why it failed) and the onboarding settings (one JSON value in `settings`).
import type { Db } from '../store/db.ts';
import { nowIso } from '../store/db.ts';
import type { OnboardingStatus } from '../../src-preload/contract/users.ts';
import { onboardingSettingsSchema, type OnboardingSettings } from '../../src-preload/contract/onboarding.ts';

export interface OnboardingRow {
  userId: string;
  status: OnboardingStatus;
  tokenHash: string | null;
  tokenExpires: string | null;
  invitedAt: string | null;
  activatedAt: string | null;
  reason: string | null;
  /** The account is enabled when the user sets the password (it was disabled when mailed). */
  enableOnActivation: boolean;
}

interface RowDb {
  user_id: string;
  status: OnboardingStatus;
  token_hash: string | null;
  token_expires: string | null;
  invited_at: string | null;
  activated_at: string | null;
  reason: string | null;
  enable_on_activation: number;
}
const toRow = (r: RowDb): OnboardingRow => ({
  userId: r.user_id,
  status: r.status,
  tokenHash: r.token_hash,
  tokenExpires: r.token_expires,
  invitedAt: r.invited_at,
  activatedAt: r.activated_at,
  reason: r.reason,
  enableOnActivation: r.enable_on_activation === 1,
});

const SETTINGS_KEY = 'onboarding';

/** A user's onboarding as the status command lists it. */
export interface UserOnboarding {
  userId: string;
  userName: string;
  email: string;
  status: OnboardingStatus;
  invitedAt?: string;
  activatedAt?: string;
  /** When the live link expires. */
  expiresAt?: string;
  reason?: string;
}

export class OnboardingStore {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  get(userId: string): OnboardingRow | undefined {
    const r = this.db.get<RowDb>('SELECT * FROM onboarding WHERE user_id = ?', userId);
    return r && toRow(r);
  }

  /** The row whose live token has this hash (expired or not: the caller decides). */
  byTokenHash(hash: string): OnboardingRow | undefined {
    const r = this.db.get<RowDb>('SELECT * FROM onboarding WHERE token_hash = ?', hash);
    return r && toRow(r);
  }

  /** A new invitation: the token replaces (and so invalidates) any older one. */
  invite(userId: string, tokenHash: string, expires: string, enableOnActivation = false, at = nowIso()): void {
    this.db.run(
      `INSERT INTO onboarding (user_id, status, token_hash, token_expires, invited_at, activated_at, reason,
         enable_on_activation)
       VALUES (?, 'invited', ?, ?, ?, NULL, NULL, ?)
       ON CONFLICT(user_id) DO UPDATE SET status = 'invited', token_hash = excluded.token_hash,
         token_expires = excluded.token_expires, invited_at = excluded.invited_at, activated_at = NULL, reason = NULL,
         enable_on_activation = excluded.enable_on_activation`,
      userId,
      tokenHash,
      expires,
      at,
      enableOnActivation ? 1 : 0,
    );
  }

  /** A temporary password was mailed: its own status (no link to open; must be changed at next sign-in). */
  invitedWithTemporaryPassword(userId: string, note: string, at = nowIso()): void {
    this.db.run(
      `INSERT INTO onboarding (user_id, status, token_hash, token_expires, invited_at, activated_at, reason)
       VALUES (?, 'temporaryPassword', NULL, NULL, ?, NULL, ?)
       ON CONFLICT(user_id) DO UPDATE SET status = 'temporaryPassword', token_hash = NULL, token_expires = NULL,
         invited_at = excluded.invited_at, activated_at = NULL, reason = excluded.reason`,
      userId,
      at,
      note,
    );
  }

  /** Failed (why); the live token, if any, is dropped unless keepToken. */
  fail(userId: string, reason: string, keepToken = false): void {
    this.db.run(
      `INSERT INTO onboarding (user_id, status, reason) VALUES (?, 'failed', ?)
       ON CONFLICT(user_id) DO UPDATE SET status = 'failed', reason = excluded.reason
         ${keepToken ? '' : ', token_hash = NULL, token_expires = NULL'}`,
      userId,
      reason,
    );
  }

  /**
   * Single use: only the request that clears the hash settles the link. `cannotSignIn`: the password
   * is set, but the account cannot sign in everywhere yet (status passwordSet, with that reason).
   */
  consume(tokenHash: string, cannotSignIn?: string, at = nowIso()): boolean {
    return (
      this.db.run(
        `UPDATE onboarding SET status = ?, activated_at = ?, token_hash = NULL, token_expires = NULL, reason = ?
         WHERE token_hash = ? AND token_expires > ?`,
        cannotSignIn ? 'passwordSet' : 'activated',
        at,
        cannotSignIn ?? null,
        tokenHash,
        at,
      ).changes === 1
    );
  }

  /** A user whose password is set: activated once the account can sign in everywhere, else what is missing. */
  settleSignIn(userId: string, cannotSignIn: string | undefined): boolean {
    return (
      this.db.run(
        `UPDATE onboarding SET status = ?, reason = ? WHERE user_id = ? AND status = 'passwordSet'`,
        cannotSignIn ? 'passwordSet' : 'activated',
        cannotSignIn ?? null,
        userId,
      ).changes === 1
    );
  }

  /** Marks invitations whose link has expired; returns how many changed. */
  sweepExpired(now = nowIso()): number {
    return this.db.run(
      `UPDATE onboarding SET status = 'expired', token_hash = NULL
       WHERE token_hash IS NOT NULL AND token_expires <= ?`,
      now,
    ).changes;
  }

  /** Every user with their onboarding status (no row = not invited), by user name; optionally one status only. */
  statuses(status?: OnboardingStatus): UserOnboarding[] {
    const rows = this.db.all<{
      id: string;
      user_name: string;
      email: string;
      status: OnboardingStatus | null;
      invited_at: string | null;
      activated_at: string | null;
      token_expires: string | null;
      reason: string | null;
    }>(
      `SELECT u.id, u.user_name, u.email, o.status, o.invited_at, o.activated_at, o.token_expires, o.reason
       FROM users u LEFT JOIN onboarding o ON o.user_id = u.id
       ${status ? "WHERE COALESCE(o.status, 'notInvited') = ?" : ''}
       ORDER BY u.user_name`,
      ...(status ? [status] : []),
    );
    return rows.map((r) => ({
      userId: r.id,
      userName: r.user_name,
      email: r.email,
      status: r.status ?? 'notInvited',
      invitedAt: r.invited_at ?? undefined,
      activatedAt: r.activated_at ?? undefined,
      expiresAt: r.token_expires ?? undefined,
      reason: r.reason ?? undefined,
    }));
  }

  settings(): OnboardingSettings {
    const r = this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', SETTINGS_KEY);
    const parsed = onboardingSettingsSchema.safeParse(r ? JSON.parse(r.value) : {});
    return parsed.success ? parsed.data : onboardingSettingsSchema.parse({});
  }

  saveSettings(s: OnboardingSettings): void {
    this.db.run(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      SETTINGS_KEY,
      JSON.stringify(onboardingSettingsSchema.parse(s)),
    );
  }
}
