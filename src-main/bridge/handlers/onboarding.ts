// Onboarding channels: settings, test mail, template preview, the reset
// portal, and the bulk actions on selected users.
import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';
import { sendPrerequisites } from '../../onboarding/prerequisites.ts';

type OnboardingChannels =
  | 'onboarding.settings.get'
  | 'onboarding.settings.save'
  | 'onboarding.mail.test'
  | 'onboarding.template.preview'
  | 'onboarding.portal.status'
  | 'onboarding.portal.start'
  | 'onboarding.portal.stop'
  | 'onboarding.portal.generateCertificate'
  | 'onboarding.prerequisites'
  | 'onboarding.sendActivation'
  | 'onboarding.sendTemporaryPassword'
  | `onboarding.send.${'check' | 'start' | 'job' | 'wait' | 'cancel'}`;

export function onboardingHandlers(app: App): Handlers<OnboardingChannels> {
  const o = app.onboarding;
  return {
    'onboarding.settings.get': () => o.settingsView(),
    'onboarding.prerequisites': ({ kind }) => ({
      missing: sendPrerequisites(kind, o.settingsView(), (id) => {
        const d = app.repos.directories.get(id);
        return d && { name: d.config.name, kind: d.config.kind };
      }),
    }),
    'onboarding.settings.save': ({ settings, secrets }) => o.saveSettings(settings, secrets),
    'onboarding.mail.test': (input) => o.sendTestMail(input),
    'onboarding.template.preview': (input) => o.preview(input),
    'onboarding.portal.status': () => o.portalStatus(),
    'onboarding.portal.start': () => o.startPortal(),
    'onboarding.portal.stop': () => o.stopPortal(),
    'onboarding.portal.generateCertificate': ({ hostnames }) => o.generateCertificate(hostnames),
    'onboarding.sendActivation': ({ userIds }) => o.sendActivation(userIds),
    'onboarding.sendTemporaryPassword': ({ userIds }) => o.sendTemporaryPassword(userIds),
    'onboarding.send.check': ({ userIds }) => o.checkSend(userIds),
    'onboarding.send.start': async ({ kind, userIds, enableOnActivation }) =>
      (await o.startSend(kind, userIds, { enableOnActivation })).job.view(),
    'onboarding.send.job': ({ jobId }) => o.sendJob(jobId),
    'onboarding.send.wait': ({ jobId }) => o.waitSend(jobId),
    'onboarding.send.cancel': ({ jobId }) => ({ cancelled: o.cancelSend(jobId) }),
  };
}
