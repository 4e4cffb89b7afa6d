// Secrets by owner, encrypted with the shell's cipher. Values are JSON
// objects so one owner (a directory) can hold several (password, key).
import type { Db } from '../store/db.ts';
import { nowIso } from '../store/db.ts';
import type { SecretCipher } from './cipher.ts';
import { AppError } from '../errors.ts';

export class Vault {
  private readonly db: Db;
  private readonly cipher: SecretCipher;
  constructor(db: Db, cipher: SecretCipher) {
    this.db = db;
    this.cipher = cipher;
  }

  get<T extends object = Record<string, string>>(owner: string): T | undefined {
    const r = this.db.get<{ ciphertext: Uint8Array }>('SELECT ciphertext FROM secrets WHERE owner = ?', owner);
    return r ? (JSON.parse(this.cipher.decrypt(r.ciphertext)) as T) : undefined;
  }

  has(owner: string): boolean {
    return !!this.db.get('SELECT 1 AS x FROM secrets WHERE owner = ?', owner);
  }

  /** Merges: keys set to undefined keep their stored value; '' removes a key. */
  merge(owner: string, values: Record<string, string | undefined>): void {
    // Nothing to change: the stored value is left alone without being decrypted.
    if (Object.values(values).every((v) => v === undefined)) return;
    const next: Record<string, string> = { ...(this.readable(owner) ?? {}) };
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      if (v === '') delete next[k];
      else next[k] = v;
    }
    if (Object.keys(next).length === 0) return this.delete(owner);
    this.db.run(
      'INSERT INTO secrets (owner, ciphertext, updated) VALUES (?, ?, ?) ON CONFLICT(owner) DO UPDATE SET ciphertext = excluded.ciphertext, updated = excluded.updated',
      owner,
      this.cipher.encrypt(JSON.stringify(next)),
      nowIso(),
    );
  }

  /** The stored value, or undefined when the key that sealed it is lost, so a new value can replace it. */
  private readable(owner: string): Record<string, string> | undefined {
    try {
      return this.get<Record<string, string>>(owner);
    } catch (err) {
      if (err instanceof AppError && err.code === 'secret_unreadable') return undefined;
      throw err;
    }
  }

  delete(owner: string): void {
    this.db.run('DELETE FROM secrets WHERE owner = ?', owner);
  }
}
