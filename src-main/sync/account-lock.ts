// Whether each directory can hold a disabled account, as last checked (by
// Verify or by an import preview), kept so that the change recorder can decide
// at queue time, inside its transaction and without a network call, that a
// disabled user is not created there instead of queueing a create that can
// only fail. A check is valid only for the configuration it was made with: a
// change to the mapping or the disabled-users choice makes it unknown again.
import type { DirectoryConfig } from '../../src-preload/directory.ts';
import type { AccountLockSupport, Connector } from '../connectors/connector.ts';
import type { Db } from '../store/db.ts';
import { nowIso } from '../store/db.ts';

interface StoredFact extends AccountLockSupport {
  at: string;
  key: string;
}

const settingKey = (directoryId: string) => `accountLock:${directoryId}`;

/** What the check depends on in the configuration. */
export function lockConfigKey(config: DirectoryConfig): string {
  return JSON.stringify([config.kind, config.userMapping, config.disabledUsers ?? null]);
}

export function saveAccountLock(db: Db, directoryId: string, config: DirectoryConfig, s: AccountLockSupport): void {
  const fact: StoredFact = { ...s, at: nowIso(), key: lockConfigKey(config) };
  db.run(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    settingKey(directoryId),
    JSON.stringify(fact),
  );
}

export function forgetAccountLock(db: Db, directoryId: string): void {
  db.run('DELETE FROM settings WHERE key = ?', settingKey(directoryId));
}

/** The last check for this configuration, if any. */
export function accountLockOf(db: Db, directoryId: string, config: DirectoryConfig): AccountLockSupport | undefined {
  const row = db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', settingKey(directoryId));
  if (!row) return undefined;
  const fact = JSON.parse(row.value) as StoredFact;
  return fact.key === lockConfigKey(config) ? fact : undefined;
}

/** The reason a disabled user is not created in this directory, or undefined when it can be. */
export function disabledNotWritable(db: Db, directoryId: string, config: DirectoryConfig): string | undefined {
  const fact = accountLockOf(db, directoryId, config);
  return fact?.canHold === false ? fact.line : undefined;
}

/** Asks a connector (bounded in time: a preview must not hang on another directory) and keeps the answer. */
export async function checkAccountLock(
  db: Db,
  directoryId: string,
  config: DirectoryConfig,
  connector: Connector,
  timeoutMs = 15_000,
): Promise<AccountLockSupport> {
  if (!connector.accountLockSupport) return { canHold: true, line: 'Accounts can be disabled.' };
  let timer: NodeJS.Timeout | undefined;
  try {
    const s = await Promise.race([
      connector.accountLockSupport(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      }),
    ]);
    saveAccountLock(db, directoryId, config, s);
    return s;
  } catch (e) {
    // Unknown is not "cannot": the last answer for this configuration still holds.
    const last = accountLockOf(db, directoryId, config);
    return (
      last ?? {
        canHold: undefined,
        line: `Could not check whether ${config.name} can hold a disabled account: ${(e as Error).message}`,
      }
    );
  } finally {
    clearTimeout(timer);
  }
}
