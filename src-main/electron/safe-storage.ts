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
      return safeStorage.decryptString(Buffer.from(sealed));
    },
  };
}
