// The directory's matching rules, in one place for every path that asks
// "is this object there already?": push preview, the outbox's single and bulk
// creates (LDAP, Active Directory, Entra ID). Each connector finds the
// candidates inside the directory's scope; the decision is made here, the same
// way for all of them: rules tried in the admin's order, the first rule with
// one candidate wins, more than one candidate is a conflict (never a guess),
// and a protected object is never taken, whatever the rule.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import { primaryEmail } from '../../src-preload/model.ts';
import { ConnectorError, type RemoteUserData } from '../connectors/connector.ts';

export type MatchRule = DirectoryConfig['matching'][number];

export const DEFAULT_RULES: readonly MatchRule[] = ['userName', 'email'];

export const RULE_LABEL: Record<MatchRule, string> = {
  userName: 'user name',
  email: 'e-mail',
  employeeNumber: 'employee number',
  displayName: 'display name',
};

/** The directory's rules in the admin's order (none set: user name, then e-mail). */
export function matchRules(config: Pick<DirectoryConfig, 'matching'>): readonly MatchRule[] {
  return config.matching?.length ? config.matching : DEFAULT_RULES;
}

/** The value a rule compares for this user, or undefined when the user has none. */
export function ruleValue(rule: MatchRule, data: RemoteUserData): string | undefined {
  const v =
    rule === 'userName'
      ? data.userName
      : rule === 'email'
        ? primaryEmail(data)
        : rule === 'employeeNumber'
          ? data.employeeNumber
          : data.displayName;
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/** One rule with the value it looks for. */
export interface MatchKey {
  rule: MatchRule;
  value: string;
}

/** The user's keys, in rule order; a rule the user has no value for is left out. */
export function matchKeys(rules: readonly MatchRule[], data: RemoteUserData): MatchKey[] {
  const out: MatchKey[] = [];
  for (const rule of rules) {
    const value = ruleValue(rule, data);
    if (value !== undefined) out.push({ rule, value });
  }
  return out;
}

/** The values a candidate holds for a rule, as the directory read them into the model. */
export function candidateValues(rule: MatchRule, data: RemoteUserData): string[] {
  if (rule === 'email') return data.emails.map((e) => e.value);
  const v = rule === 'userName' ? data.userName : rule === 'employeeNumber' ? data.employeeNumber : data.displayName;
  return typeof v === 'string' && v ? [v] : [];
}

/** What a directory object must tell for the decision. */
export interface Candidate {
  /** DN or object id: what the admin is shown. */
  ref: string;
  /** Why the directory must never be written through this object (a privileged account…), if so. */
  protected?: string;
}

/** Who is being looked for, in the admin's words. */
export interface Sought {
  kind: 'user' | 'group';
  name: string;
  /** The directory's name as the admin calls it. */
  directory: string;
}

/**
 * Picks the existing object among the candidates: the rules in order, the
 * first with exactly one candidate decides. Values compare without case (the
 * directories do). Returns the match, undefined when no rule finds anything,
 * or the error to record: a conflict, or a protected object.
 */
export function pickMatch<T extends Candidate, K extends MatchKey>(
  sought: Sought,
  keys: readonly K[],
  candidates: readonly T[],
  valuesOf: (candidate: T, key: K) => ReadonlyArray<string | undefined>,
): T | ConnectorError | undefined {
  for (const key of keys) {
    const want = key.value.toLowerCase();
    const same = candidates.filter((c) => valuesOf(c, key).some((v) => v?.toLowerCase() === want));
    const unique = [...new Map(same.map((c) => [c.ref.toLowerCase(), c])).values()];
    if (unique.length > 1) return conflictError(sought, RULE_LABEL[key.rule], key.value, unique);
    if (unique.length === 1) {
      const found = unique[0]!;
      if (found.protected) return protectedError(sought, RULE_LABEL[key.rule], key.value, found);
      return found;
    }
  }
  return undefined;
}

/** A group is matched by its name: one rule, the same decision. */
export function pickGroup<T extends Candidate>(
  sought: Omit<Sought, 'kind'>,
  candidates: readonly T[],
  nameOf: (candidate: T) => string | undefined,
): T | ConnectorError | undefined {
  return pickMatch(
    { ...sought, kind: 'group' },
    [{ rule: 'displayName' as const, value: sought.name }],
    candidates,
    (c) => [nameOf(c)],
  );
}

/** More than one object answers to the same rule: the admin decides, nothing is written. */
export function conflictError(
  sought: Sought,
  label: string,
  value: string,
  found: readonly Candidate[],
): ConnectorError {
  const refs = found.map((c) => c.ref);
  const listed = refs.length > 1 ? `${refs.slice(0, -1).join(', ')} and ${refs[refs.length - 1]}` : refs.join('');
  const message = `More than one object in ${sought.directory} matches the ${sought.kind} ${sought.name} by ${label} (${value}): ${listed}. Nothing was linked or created: make the ${label} unique, or narrow the directory's scope, then retry.`;
  // No server message here: the decision is ours, so the details carry the same words (not repeated) and the refs.
  return new ConnectorError('conflict', message, { details: { message, matches: refs }, transient: false });
}

/** The only object that matches is a protected one: never linked, changed or deleted. */
export function protectedError(sought: Sought, label: string, value: string, found: Candidate): ConnectorError {
  const message = `${found.ref} in ${sought.directory} matches the ${sought.kind} ${sought.name} by ${label} (${value}), but it is a protected object (${found.protected}): Provision Desk never links, changes or deletes it. Rename the local ${sought.kind}, or exclude that object from the directory's scope.`;
  return new ConnectorError('protected', message, { details: { message, matches: [found.ref] }, transient: false });
}

/** A write aimed at a protected object (linked before, or through an import): refused before any change. */
export function protectedWriteError(what: string, ref: string, reason: string): ConnectorError {
  const message = `Provision Desk does not ${what} ${ref}: it is a protected object (${reason}). Nothing was written; unlink it or leave it out of the directory's scope.`;
  return new ConnectorError('protected', message, { details: { message, ref }, transient: false });
}

/** A write aimed at an object outside the directory's scope (its search base, exclusions…). */
export function outOfScopeError(what: string, ref: string): ConnectorError {
  const message = `Provision Desk does not ${what} ${ref}: it is outside this directory's scope (search base, filter or exclusions). Nothing was written.`;
  return new ConnectorError('protected', message, { details: { message, ref }, transient: false });
}

/** A listed user, as the push preview holds it. */
type Listed = Candidate & { anchor: string; data: RemoteUserData };

/**
 * A listing's users indexed by each rule's values: the push preview finds a
 * local user's candidates without a search per user, then decides as above.
 */
export class CandidateIndex<T extends Listed> {
  private readonly rules: readonly MatchRule[];
  private readonly byRule = new Map<MatchRule, Map<string, T[]>>();

  constructor(rules: readonly MatchRule[]) {
    this.rules = rules;
    for (const r of rules) this.byRule.set(r, new Map());
  }

  add(u: T): void {
    for (const [rule, index] of this.byRule)
      for (const v of candidateValues(rule, u.data)) {
        const key = v.toLowerCase();
        const list = index.get(key);
        if (list) list.push(u);
        else index.set(key, [u]);
      }
  }

  /** The match for a local user; objects already `taken` (linked to another one) are no candidates. */
  pick(sought: Sought, data: RemoteUserData, taken: ReadonlySet<string>): T | ConnectorError | undefined {
    const keys = matchKeys(this.rules, data);
    const found = new Set<T>();
    for (const k of keys)
      for (const c of this.byRule.get(k.rule)?.get(k.value.toLowerCase()) ?? []) if (!taken.has(c.anchor)) found.add(c);
    return pickMatch(sought, keys, [...found], (c, k) => candidateValues(k.rule, c.data));
  }
}
