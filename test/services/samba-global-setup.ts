/**
 * vitest globalSetup: one Samba AD DC for the whole integration run (its
 * ports 389/636 are fixed, so test files cannot each start their own).
 * Test files read its connection data with sambaInfo() from ./inject.ts.
 *
 * Fails the run with a message naming the missing Debian packages when
 * Samba is not installed, or saying that root is needed. A developer
 * without root can opt out explicitly with PD_SAMBA=off (the Samba tests
 * then fail with a clear message; nothing is silently skipped).
 */
import type { TestProject } from 'vitest/node';
import { sambaDcInfo, startSambaDc, type SambaDc } from './samba.ts';
import './inject.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.PD_SAMBA === 'off') {
    project.provide('samba', null);
    return async () => {};
  }
  const dc: SambaDc = await startSambaDc();
  console.log(
    `[samba-global-setup] Samba ${dc.sambaVersion} AD DC ${dc.realm} up on ${dc.ldapsUrl} ` +
      `(provision ${(dc.provisionMs / 1000).toFixed(1)} s, start ${(dc.startMs / 1000).toFixed(1)} s)`,
  );
  project.provide('samba', sambaDcInfo(dc));
  return async () => {
    await dc.stop();
  };
}
