/**
 * Playwright globalSetup: one Samba AD DC for the e2e run (its ports 389/636
 * are fixed, one instance per machine), started with the same launcher as the
 * integration tests. Its connection data goes to test-results/samba.json,
 * read by the specs through sambaInfo() in ./samba-info.ts.
 *
 * If another test run holds 389/636 (the integration suite's own Samba), this
 * waits for it to finish (up to PD_SAMBA_WAIT_S, default 15 minutes) instead
 * of failing at once. PD_SAMBA=off skips starting it (the Samba specs then
 * fail with a message saying so; nothing is skipped silently).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { sambaDcInfo, startSambaDc, type SambaDc } from '../services/samba.ts';
import { SAMBA_INFO_PATH } from './samba-info.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function globalSetup(): Promise<() => Promise<void>> {
  rmSync(SAMBA_INFO_PATH, { force: true });
  if (process.env.PD_SAMBA === 'off') return async () => {};
  const deadline = Date.now() + Number(process.env.PD_SAMBA_WAIT_S ?? 900) * 1000;
  let dc: SambaDc | undefined;
  for (;;) {
    try {
      dc = await startSambaDc();
      break;
    } catch (e) {
      const msg = (e as Error).message;
      if (!/Port (389|636) on 127\.0\.0\.1 is in use/.test(msg) || Date.now() > deadline) throw e;
      console.log(`[e2e global-setup] ${msg.split(';')[0]}; waiting for it to stop…`);
      await sleep(10_000);
    }
  }
  console.log(`[e2e global-setup] Samba ${dc.sambaVersion} AD DC ${dc.realm} up on ${dc.ldapsUrl}`);
  mkdirSync('test-results', { recursive: true });
  writeFileSync(SAMBA_INFO_PATH, JSON.stringify(sambaDcInfo(dc), null, 2), { mode: 0o600 });
  const started = dc;
  return async () => {
    rmSync(SAMBA_INFO_PATH, { force: true });
    await started.stop();
  };
}
