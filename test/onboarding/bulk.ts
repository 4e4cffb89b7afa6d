// Set-up shared by the bulk-send tests: users with a mail address, linked to
// a directory where Password Sync is on (an activation mail needs that, and
// sending one never contacts the directory), and SMTP mail settings that
// point at a real receiver.
import { onboardingSettingsSchema, type OnboardingSettings } from '../../src-preload/contract/onboarding.ts';
import type { App } from '../../src-main/app.ts';
import { hashToken } from '../../src-main/onboarding/tokens.ts';
import { freePort } from '../services/slapd.ts';
import { ldapDirConfig, reachablePortal } from './fixtures.ts';
import { resetLinks } from './browser.ts';
import type { ReceivedMail } from './smtp.ts';

export const SMTP_USER = 'mailer@example.test';
export const SMTP_PASSWORD = 'Smtp-Secret-42!';

export interface Seeded {
  id: string;
  userName: string;
  email: string;
}

/** n users named `${prefix}NN`, linked to a (never contacted) LDAP directory with Password Sync on. */
export function seedMailUsers(app: App, n: number, prefix: string): Seeded[] {
  const dir = app.directories.save(
    undefined,
    ldapDirConfig('ldap', `Staff ${prefix}`, {
      urls: ['ldaps://127.0.0.1:1'],
      baseDn: 'dc=example,dc=test',
      bindDn: 'cn=admin,dc=example,dc=test',
    }),
    { bindPassword: 'unused' },
  );
  const out: Seeded[] = [];
  for (let i = 0; i < n; i++) {
    const userName = `${prefix}${String(i).padStart(2, '0')}`;
    const email = `${userName}@example.test`;
    const u = app.users.create({
      userName,
      displayName: `Bulk ${userName}`,
      name: {},
      emails: [{ value: email, primary: true }],
      phoneNumbers: [],
      active: true,
    });
    app.repos.links.upsert({
      directoryId: dir.id,
      objectType: 'user',
      localId: u.id,
      anchor: `anchor-${userName}`,
      ref: `uid=${userName},dc=example,dc=test`,
      state: 'provisioned',
      reason: null,
      hash: null,
    });
    out.push({ id: u.id, userName, email });
  }
  return out;
}

/** Mail through the receiver (STARTTLS, authenticated, its CA trusted) and a portal on a free port. */
export async function mailSettings(
  app: App,
  smtpPort: number,
  caPem: string,
  over: { autoStart?: boolean } = {},
): Promise<OnboardingSettings> {
  const s = onboardingSettingsSchema.parse({
    mail: {
      transport: 'smtp',
      fromAddress: 'it@example.test',
      fromName: 'IT',
      smtp: { host: '127.0.0.1', port: smtpPort, security: 'starttls', username: SMTP_USER, caPem },
    },
    portal: reachablePortal(await freePort()),
  });
  await app.onboarding.saveSettings(s, { smtpPassword: SMTP_PASSWORD });
  // The command line needs a portal the admin started in the app (autoStart); the app's Start sets it.
  if (over.autoStart)
    app.onboarding.store.saveSettings({ ...app.onboarding.store.settings(), portal: { ...s.portal, autoStart: true } });
  return app.onboarding.store.settings();
}

/** The token in a received activation mail. */
export function tokenOf(m: ReceivedMail): string {
  const [link] = resetLinks(m.text);
  if (!link) throw new Error(`no reset link in the mail to ${m.to.join(', ')}`);
  return new URL(link).searchParams.get('t')!;
}

export { hashToken };

/** Polls until check() holds (no timing asserted: the test's own timeout bounds it). */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
