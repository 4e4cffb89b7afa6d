// Encryption at rest for secrets. The Electron shell supplies a cipher on
// safeStorage (the OS keychain); browser mode and the command line use a
// random key in a file only the owner can read. Either way the plain text
// lives only in the main process.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../errors.ts';

export interface SecretCipher {
  readonly name: string;
  encrypt(plain: string): Uint8Array;
  decrypt(sealed: Uint8Array): string;
}

const VERSION = 1;

/** AES-256-GCM with a 32-byte key kept in `keyFile` (mode 0600). */
export function keyFileCipher(keyFile: string): SecretCipher {
  const key = loadOrCreateKey(keyFile);
  return {
    name: 'key file',
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
    },
    decrypt(sealed) {
      const buf = Buffer.from(sealed);
      if (buf[0] !== VERSION) throw new AppError('secret_unreadable', 'A stored secret has an unknown format.');
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 13));
      d.setAuthTag(buf.subarray(13, 29));
      try {
        return Buffer.concat([d.update(buf.subarray(29)), d.final()]).toString('utf8');
      } catch {
        throw new AppError(
          'secret_unreadable',
          'A stored secret cannot be decrypted: the key file changed. Enter the secret again.',
        );
      }
    },
  };
}

function loadOrCreateKey(keyFile: string): Buffer {
  if (existsSync(keyFile)) {
    const mode = statSync(keyFile).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new AppError('secret_key_invalid', `The key file ${keyFile} is damaged.`);
    return key;
  }
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}
