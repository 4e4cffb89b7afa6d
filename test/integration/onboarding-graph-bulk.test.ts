// A bulk activation mail through Microsoft Graph sendMail on the emulator,
// with throttling: 429s with a short Retry-After are waited out and every
// mail arrives; a Retry-After longer than the HTTP layer waits inline pauses
// the whole job (shown as pausedUntil), and a cancel during that pause stops
// it with the throttled user and the rest not reached (status unchanged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/index.ts';
import { onboardingSettingsSchema, type SendJobView } from '../../src-preload/contract/onboarding.ts';
import { freePort } from '../services/slapd.ts';
import { entraConfig, GRAPH_ROLES, reachablePortal, testApp } from '../onboarding/fixtures.ts';
import { seedMailUsers, until } from '../onboarding/bulk.ts';

let emu: GraphEmulator;
const t = testApp();
const app = t.app;
const SEND_MAIL = /\/sendMail$/;

beforeAll(async () => {
  emu = await startGraphEmulator();
  emu.addApp({ clientId: 'mailer-app', secret: 'graph-secret', roles: GRAPH_ROLES });
  emu.seedUsers([
    {
      userPrincipalName: `helpdesk@${emu.tenantDomain}`,
      displayName: 'Help Desk',
      mailNickname: 'helpdesk',
      accountEnabled: true,
    },
  ]);
  const dir = app.directories.save(undefined, entraConfig(emu, 'mailer-app', { name: 'Entra mail' }), {
    clientSecret: 'graph-secret',
  });
  await app.onboarding.saveSettings(
    onboardingSettingsSchema.parse({
      mail: {
        transport: 'graph',
        fromAddress: `helpdesk@${emu.tenantDomain}`,
        graph: { directoryId: dir.id, mailbox: `helpdesk@${emu.tenantDomain}` },
      },
      portal: reachablePortal(await freePort()),
    }),
    {},
  );
  await app.onboarding.startPortal();
});

afterAll(async () => {
  await emu?.stop();
  await t.dispose();
});

const sendMailLog = () => emu.log.filter((e) => e.method === 'POST' && SEND_MAIL.test(e.path));

describe('bulk activation mail through Graph', () => {
  it('waits out 429s (Retry-After 1 s) and delivers every mail', async () => {
    const people = seedMailUsers(app, 8, 'graph');
    const before = emu.sentMail.length;
    const logBefore = sendMailLog().length;
    emu.failNext({ method: 'POST', path: SEND_MAIL, status: 429, retryAfter: 1, times: 3 });
    const { finished } = await app.onboarding.startSend(
      'activation',
      people.map((p) => p.id),
    );
    const v = await finished;
    expect(v).toMatchObject({ state: 'finished', sent: 8, failed: 0 });
    expect(emu.sentMail.length - before).toBe(8);
    const log = sendMailLog().slice(logBefore);
    expect(log.filter((e) => e.status === 429)).toHaveLength(3);
    expect(log.filter((e) => e.status === 202)).toHaveLength(8);
    for (const p of people) expect(app.onboarding.store.get(p.id)?.status).toBe('invited');
  });

  it('a long Retry-After pauses the job; a cancel during the pause leaves the rest as they were', async () => {
    const people = seedMailUsers(app, 12, 'paused');
    const before = emu.sentMail.length;
    // 15 minutes: longer than the HTTP layer waits inline, so the job itself must hold off.
    emu.failNext({ method: 'POST', path: SEND_MAIL, status: 429, retryAfter: 900, times: 1 });
    const { job, finished } = await app.onboarding.startSend(
      'activation',
      people.map((p) => p.id),
    );
    await until(() => job.view().pausedUntil !== undefined, 'the job to pause');
    const paused = job.view();
    expect(Date.parse(paused.pausedUntil!)).toBeGreaterThan(Date.now() + 800_000);
    expect(app.onboarding.cancelSend(job.id)).toBe(true);
    const v: SendJobView = await finished;
    expect(v.state).toBe('cancelled');
    expect(v.failed).toBe(0);
    expect(v.sent).toBe(emu.sentMail.length - before);
    expect(v.sent).toBeLessThan(4);
    expect(v.sent + v.notReached.length).toBe(12);
    // The throttled user is among those not reached: no status, no link.
    const sentTo = new Set(
      emu.sentMail
        .slice(before)
        .flatMap((m) =>
          (m.message.toRecipients as Array<{ emailAddress: { address: string } }>).map((r) => r.emailAddress.address),
        ),
    );
    expect(sentTo.size).toBe(v.sent);
    for (const p of people) {
      const row = app.onboarding.store.get(p.id);
      if (sentTo.has(p.email)) expect(row).toMatchObject({ status: 'invited' });
      else expect(row).toBeUndefined();
    }
    expect(v.notReached.map((u) => u.userName)).toEqual(
      people.filter((p) => !sentTo.has(p.email)).map((p) => p.userName),
    );
  });
});
