// What a mail send needs before it can start, all at once: the admin fixes
// everything in one visit to Settings instead of meeting one refusal after
// another (and after having confirmed the send).
import type { OnboardingSettingsView, SendPrerequisite } from '../../src-preload/contract/onboarding.ts';
import type { DirectoryKind } from '../../src-preload/directory.ts';

export type SendKind = 'activation' | 'temporary';

export function sendPrerequisites(
  kind: SendKind,
  view: Pick<OnboardingSettingsView, 'settings' | 'hasSmtpPassword' | 'portal'>,
  directory: (id: string) => { name: string; kind: DirectoryKind } | undefined,
): SendPrerequisite[] {
  const mail = view.settings.mail;
  const missing: SendPrerequisite[] = [];
  const need = (message: string, section: SendPrerequisite['section']) => missing.push({ message, section });
  if (mail.transport === 'none') need('Choose how mail is sent: SMTP or Microsoft Graph.', 'mail');
  if (mail.transport === 'smtp') {
    if (!mail.smtp.host) need('Fill in the SMTP server.', 'mail');
    if (!mail.fromAddress) need('Fill in the sender address (From).', 'mail');
    if (mail.smtp.username && !view.hasSmtpPassword) need('Save the SMTP password for the user name given.', 'mail');
  }
  if (mail.transport === 'graph') {
    const dir = mail.graph.directoryId ? directory(mail.graph.directoryId) : undefined;
    if (!mail.graph.directoryId) need('Choose the Microsoft Entra ID directory to send mail through.', 'mail');
    else if (!dir) need('The directory chosen to send mail through no longer exists: choose another.', 'mail');
    else if (dir.kind !== 'entra')
      need(`"${dir.name}" is not a Microsoft Entra ID directory; Graph mail needs one.`, 'mail');
  }
  // The links in an activation mail open the reset portal; a temporary password needs no portal.
  if (kind === 'activation' && !view.portal.running)
    need('Start the reset portal: the links in the mails open it.', 'portal');
  return missing;
}
