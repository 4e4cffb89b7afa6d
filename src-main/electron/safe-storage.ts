// Secrets at rest through the OS keychain (Electron safeStorage).
import type { SafeStorage } from 'electron';
import type { SecretCipher } from '../secrets/cipher.ts';
import { AppError } from '../errors.ts';

export function safeStorageCipher(
  safeStorage: Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>,
): SecretCipher {
  return {
    name: 'safeStorage',
    encrypt(plain) {
      if (!safeStorage.isEncryptionAvailable())
        throw new AppError(
          'secret_store_unavailable',
          'The system keychain is not available, so secrets cannot be saved.',
        );
      return safeStorage.encryptString(plain);
    },
    decrypt(sealed) {
      try {
        return safeStorage.decryptString(Buffer.from(sealed));
      } catch (err) {
        throw new AppError(
          'secret_unreadable',
          'A stored secret cannot be decrypted with the system keychain. Enter the secret again.',
          err instanceof Error ? err.message : String(err),
        );
      }
    },
  };
}
