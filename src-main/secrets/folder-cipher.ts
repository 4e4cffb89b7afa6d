// One cipher per data folder, recorded in the folder, so the desktop app,
// browser mode and the command line all read the same secrets. New folders use
// the owner-only key file (every shell can open it); a folder whose secrets the
// desktop app sealed with the system keychain before the record existed keeps
// the keychain, and the other shells say why they cannot read it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../store/db.ts';
import { AppError } from '../errors.ts';
import type { ErrorCode } from '../../src-preload/errors.ts';
import { keyFileCipher, type SecretCipher } from './cipher.ts';

export const CIPHER_RECORD = 'secrets-cipher.json';
export const KEY_FILE = 'secret.key';
type FolderCipherKind = 'key-file' | 'keychain';

export interface Keychain {
  cipher: SecretCipher;
  /** Linux: Electron's safeStorage backend; 'basic_text' is a fixed key built into Electron, not a keychain. */
  backend?: string;
}

export interface FolderCipherOptions {
  dataDir: string;
  db: Db;
  /** The desktop app's system keychain; absent in browser mode and the command line. */
  keychain?: Keychain;
  /** How the shell tells the admin about a fallback. */
  warn?: (message: string) => void;
}

export function folderCipher(o: FolderCipherOptions): SecretCipher {
  const keyFile = join(o.dataDir, KEY_FILE);
  let kind = readRecord(o.dataDir);
  if (!kind) {
    const sealedByKeychain = !existsSync(keyFile) && !!o.db.get<{ x: number }>('SELECT 1 AS x FROM secrets LIMIT 1');
    kind = sealedByKeychain ? 'keychain' : 'key-file';
    writeRecord(o.dataDir, kind);
  }
  if (kind === 'key-file') return keyFileCipher(keyFile);
  if (o.keychain && o.keychain.backend !== 'basic_text') return o.keychain.cipher;
  if (o.keychain) {
    // Electron's basic_text "keychain" is a key anyone can read in its source: use the key file,
    // still reading what was sealed before so nothing needs to be typed again.
    o.warn?.(
      'The system keychain is not available (Electron fell back to its built-in basic_text key), so secrets are now kept encrypted with the key file in the data folder instead.',
    );
    writeRecord(o.dataDir, 'key-file');
    return readingOld(keyFileCipher(keyFile), o.keychain.cipher);
  }
  return keychainOnly();
}

function readRecord(dataDir: string): FolderCipherKind | undefined {
  const file = join(dataDir, CIPHER_RECORD);
  if (!existsSync(file)) return undefined;
  try {
    const kind = (JSON.parse(readFileSync(file, 'utf8')) as { cipher?: string }).cipher;
    if (kind === 'key-file' || kind === 'keychain') return kind;
  } catch {
    /* reported below */
  }
  throw new AppError('secret_store_unreadable', `The record of how secrets are kept (${file}) is damaged.`);
}

function writeRecord(dataDir: string, kind: FolderCipherKind): void {
  writeFileSync(join(dataDir, CIPHER_RECORD), JSON.stringify({ cipher: kind }) + '\n', { mode: 0o600 });
}

/** Seals with `next`; opens what `next` cannot with `old` (values sealed before the switch). */
function readingOld(next: SecretCipher, old: SecretCipher): SecretCipher {
  return {
    name: next.name,
    encrypt: (plain) => next.encrypt(plain),
    decrypt(sealed) {
      try {
        return next.decrypt(sealed);
      } catch (err) {
        try {
          return old.decrypt(sealed);
        } catch {
          throw err;
        }
      }
    },
  };
}

/** A folder sealed by the desktop app's keychain, opened where there is none. */
function keychainOnly(): SecretCipher {
  const refuse = (code: ErrorCode) =>
    new AppError(
      code,
      "The secrets in this data folder are sealed with the desktop app's system keychain, which browser mode and the command line cannot open: use the desktop app, or enter the secrets again there.",
    );
  return {
    name: 'system keychain (not available here)',
    encrypt: () => {
      throw refuse('secret_store_unavailable');
    },
    decrypt: () => {
      throw refuse('secret_unreadable');
    },
  };
}
