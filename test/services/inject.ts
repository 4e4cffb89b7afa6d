/**
 * Typed access, from a test file, to the Samba AD DC that
 * test/services/samba-global-setup.ts started for the whole run.
 */
import { inject } from 'vitest';
import type { SambaDcInfo } from './samba.ts';

export type { SambaDcInfo } from './samba.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** Connection data of the run's Samba AD DC (null when PD_SAMBA=off). */
    samba: SambaDcInfo | null;
  }
}

/**
 * Connection data of the run's Samba AD DC. Throws when the DC was not
 * started (globalSetup not configured, or PD_SAMBA=off).
 */
export function sambaInfo(): SambaDcInfo {
  const info = inject('samba');
  if (!info) {
    throw new Error(
      'No Samba AD DC for this run: the integration project must have globalSetup ' +
        'test/services/samba-global-setup.ts, and PD_SAMBA must not be "off".',
    );
  }
  return info;
}
