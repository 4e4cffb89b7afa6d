// The data folder holds the store and the key that opens its secrets: only
// its owner may enter it (0700) or read its files (0600), also when an older
// version or a lax umask made them wider.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DB_FILE = 'provision-desk.sqlite';
/** SQLite gives its WAL and shared-memory files the database file's mode when it creates them. */
const OWNER_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, 'secret.key', 'secrets-cipher.json'];

export function secureDataFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  ownerOnly(dir, 0o700);
  const db = join(dir, DB_FILE);
  if (!existsSync(db)) closeSync(openSync(db, 'a', 0o600));
  for (const f of OWNER_FILES) {
    const file = join(dir, f);
    if (existsSync(file)) ownerOnly(file, 0o600);
  }
}

function ownerOnly(path: string, mode: number): void {
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
}
