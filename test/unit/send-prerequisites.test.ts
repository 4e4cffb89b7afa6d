// A mail send lists everything it still needs at once, before the admin confirms it.
import { describe, expect, it } from 'vitest';
import { onboardingSettingsSchema } from '../../src-preload/contract/onboarding.ts';
import { sendPrerequisites } from '../../src-main/onboarding/prerequisites.ts';

const view = (mail: object, running = false, hasSmtpPassword = false) => ({
  settings: onboardingSettingsSchema.parse({ mail }),
  hasSmtpPassword,
  portal: { running, publicUrl: 'https://127.0.0.1:8443', warnings: [] },
});
const none = () => undefined;

describe('send prerequisites', () => {
  it('lists every missing piece of a fresh install together, each with its Settings section', () => {
    expect(sendPrerequisites('activation', view({}), none)).toEqual([
      { message: 'Choose how mail is sent: SMTP or Microsoft Graph.', section: 'mail' },
      { message: 'Start the reset portal: the links in the mails open it.', section: 'portal' },
    ]);
  });

  it('names the SMTP fields left empty and a missing password, and needs no portal for a temporary password', () => {
    const missing = sendPrerequisites('temporary', view({ transport: 'smtp', smtp: { username: 'relay' } }), none);
    expect(missing.map((m) => m.message)).toEqual([
      'Fill in the SMTP server.',
      'Fill in the sender address (From).',
      'Save the SMTP password for the user name given.',
    ]);
  });

  it('refuses Graph mail through a directory that is not Entra ID', () => {
    const v = view({ transport: 'graph', graph: { directoryId: 'd1', mailbox: '' } }, true);
    expect(sendPrerequisites('activation', v, () => ({ name: 'Corp AD', kind: 'activeDirectory' }))).toEqual([
      { message: '"Corp AD" is not a Microsoft Entra ID directory; Graph mail needs one.', section: 'mail' },
    ]);
    expect(sendPrerequisites('activation', v, () => ({ name: 'Tenant', kind: 'entra' }))).toEqual([]);
  });

  it('is satisfied by a complete SMTP setup with the portal running', () => {
    const v = view({ transport: 'smtp', fromAddress: 'it@x.test', smtp: { host: 'mail.x.test' } }, true);
    expect(sendPrerequisites('activation', v, none)).toEqual([]);
  });
});
