// The password policy the reset page enforces before anything reaches a
// directory. The same rules run in the page (portal/assets.ts) so the user
// sees them while typing; the server's check is the one that counts, and the
// directories may still refuse with rules of their own.
import type { PasswordPolicy } from '../../src-preload/contract/onboarding.ts';

export const MAX_PASSWORD_LENGTH = 256;

export interface PolicySubject {
  userName: string;
  displayName?: string;
}

/** Parts of the identity a password must not contain (case-insensitive), as AD does: tokens of 3+ characters. */
export function forbiddenParts(subject: PolicySubject): string[] {
  const parts = new Set<string>();
  const user = subject.userName.trim().toLowerCase();
  if (user.length >= 3) parts.add(user);
  const local = user.split('@')[0] ?? '';
  if (local.length >= 3) parts.add(local);
  for (const t of (subject.displayName ?? '').toLowerCase().split(/[\s,.\-_#\t]+/)) if (t.length >= 3) parts.add(t);
  return [...parts];
}

export function characterClasses(password: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
}

/** Each rule the password breaks, as a sentence for the user; empty when it passes. */
export function checkPassword(password: string, policy: PasswordPolicy, subject: PolicySubject): string[] {
  const problems: string[] = [];
  if (password.length < policy.minLength) problems.push(`Use at least ${policy.minLength} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  if (characterClasses(password) < policy.minClasses)
    problems.push(
      `Use at least ${policy.minClasses} of these: lower-case letters, upper-case letters, digits, other characters.`,
    );
  if (policy.forbidUserName) {
    const lower = password.toLowerCase();
    if (forbiddenParts(subject).some((p) => lower.includes(p)))
      problems.push('Do not use your user name or your name in the password.');
  }
  return problems;
}

/** A password that passes the policy and the usual directory complexity rules. */
export function generateTemporaryPassword(
  policy: PasswordPolicy,
  subject: PolicySubject,
  randomInt: (max: number) => number,
): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!#%+-=?@_'];
  const length = Math.max(16, policy.minLength);
  for (;;) {
    const chars = sets.map((s) => s[randomInt(s.length)]!);
    const all = sets.join('');
    while (chars.length < length) chars.push(all[randomInt(all.length)]!);
    for (let i = chars.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
    const pw = chars.join('');
    if (checkPassword(pw, policy, subject).length === 0) return pw;
  }
}
