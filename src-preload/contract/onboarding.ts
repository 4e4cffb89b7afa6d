// Onboarding: mail transport, activation mail templates, the password policy,
// the reset portal, and the bulk actions on selected users. Secrets (SMTP
// password, the portal's private key) only ever travel inward.
import { z } from 'zod';
import { channel } from './channel.ts';
import { localId } from './users.ts';

const pem = z.string().max(64 * 1024);
const email = z.string().trim().max(320);

export const smtpSettingsSchema = z.object({
  host: z.string().trim().max(253).default(''),
  port: z.number().int().min(1).max(65535).default(587),
  /** starttls: plain connect then STARTTLS (required); tls: implicit TLS (465); none: a local relay only. */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().trim().max(320).default(''),
  /** Extra CA certificate(s) trusted for this server. */
  caPem: pem.default(''),
  verifyCertificate: z.boolean().default(true),
});

export const mailSettingsSchema = z.object({
  transport: z.enum(['none', 'smtp', 'graph']).default('none'),
  fromAddress: email.default(''),
  fromName: z.string().trim().max(128).default('IT Service Desk'),
  smtp: smtpSettingsSchema.default(smtpSettingsSchema.parse({})),
  /** Microsoft Graph sendMail: the Entra directory and the mailbox (UPN or id) to send from. */
  graph: z
    .object({ directoryId: z.string().max(64).default(''), mailbox: email.default('') })
    .default({ directoryId: '', mailbox: '' }),
});
export type MailSettings = z.infer<typeof mailSettingsSchema>;

export const mailTemplateSchema = z.object({
  subject: z.string().max(998),
  html: z.string().max(256 * 1024),
  text: z.string().max(256 * 1024),
});
export type MailTemplate = z.infer<typeof mailTemplateSchema>;

export const passwordPolicySchema = z.object({
  minLength: z.number().int().min(4).max(256).default(12),
  /** How many of the four classes (lower, upper, digit, other) a password needs. */
  minClasses: z.number().int().min(0).max(4).default(3),
  /** Refuse passwords containing the user name (or display name parts of 3+ characters). */
  forbidUserName: z.boolean().default(true),
});
export type PasswordPolicy = z.infer<typeof passwordPolicySchema>;

export const portalSettingsSchema = z.object({
  listenHost: z.string().trim().min(1).max(253).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(8443),
  /** Base of the links in mails, e.g. https://reset.example.com:8443; empty = https://<listen host>:<port>. */
  publicUrl: z
    .string()
    .trim()
    .max(512)
    .regex(/^(https:\/\/[^\s/?#]+\/?)?$/i, 'The public address must look like https://host:port')
    .default(''),
  /** provided: the admin's certificate + key; selfSigned: one Provision Desk generated. */
  certificate: z.enum(['selfSigned', 'provided']).default('selfSigned'),
  /** The admin's certificate chain (PEM); the key is a secret. */
  certPem: pem.default(''),
  /** Start the portal with the app (set when the admin starts it, cleared when stopped). */
  autoStart: z.boolean().default(false),
});

export const onboardingSettingsSchema = z.object({
  mail: mailSettingsSchema.default(mailSettingsSchema.parse({})),
  activationTemplate: mailTemplateSchema.optional(),
  temporaryPasswordTemplate: mailTemplateSchema.optional(),
  tokenLifetimeHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
  policy: passwordPolicySchema.default(passwordPolicySchema.parse({})),
  portal: portalSettingsSchema.default(portalSettingsSchema.parse({})),
});
export type OnboardingSettings = z.infer<typeof onboardingSettingsSchema>;

/** Write-only secrets; undefined keeps the stored value, '' removes it. */
export const onboardingSecretsSchema = z
  .object({
    smtpPassword: z.string().max(1024).optional(),
    portalKeyPem: pem.optional(),
  })
  .strict()
  .default({});
export type OnboardingSecrets = z.infer<typeof onboardingSecretsSchema>;

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  altNames: string[];
  selfSigned: boolean;
}

export interface PortalStatus {
  running: boolean;
  /** Where it listens, when running. */
  listening?: string;
  /** The base of the links in mails. */
  publicUrl: string;
  certificate?: CertificateInfo;
  /** Warnings to show next to the portal: self-signed certificate, expiry, name mismatch. */
  warnings: string[];
  /** Why the last start failed, in the admin's words. */
  error?: string;
}

export interface OnboardingSettingsView {
  settings: OnboardingSettings;
  /** The templates in force (the defaults where the admin has not changed them). */
  activationTemplate: MailTemplate;
  temporaryPasswordTemplate: MailTemplate;
  /** The built-in templates, for "Reset to default". */
  defaultTemplates: { activation: MailTemplate; temporaryPassword: MailTemplate };
  hasSmtpPassword: boolean;
  hasPortalKey: boolean;
  portal: PortalStatus;
}

/** Something a mail send still needs, and the Settings section where it is set. */
export interface SendPrerequisite {
  message: string;
  section: 'mail' | 'portal';
}

export interface MailPreview {
  subject: string;
  html: string;
  text: string;
  /** Placeholders in the template that are not known. */
  unknownPlaceholders: string[];
}

export interface BulkResult {
  userId: string;
  userName: string;
  ok: boolean;
  /** What happened, in the admin's words. */
  message: string;
  details?: unknown;
}

export interface BulkSummary {
  operationId: string;
  sent: number;
  failed: number;
  results: BulkResult[];
}

export type SendKind = 'activation' | 'temporaryPassword';
/** running → finished, or running → cancelling (mails in flight finish) → cancelled. */
export type SendJobState = 'running' | 'cancelling' | 'finished' | 'cancelled';

/**
 * A bulk send as a job. Flow for the Users screen:
 *   1. 'onboarding.send.start' { kind, userIds } → SendJobView (state 'running'), at once.
 *   2. While it runs, 'app.progress' events with operationId = jobId carry SendProgress
 *      (sent / failed / remaining; phase 'sending' | 'cancelling' | 'finished' | 'cancelled').
 *   3. 'onboarding.send.wait' { jobId } → the final SendJobView when the job ends;
 *      'onboarding.send.job' { jobId } → the view now.
 *   4. Cancel: 'onboarding.send.cancel' { jobId } (or 'app.cancel' { operationId: jobId }).
 *      No new user is started; mails in flight finish. Sent mails stay sent (their links work);
 *      users not reached keep their previous status and get no link (listed in notReached).
 */
export interface SendJobView {
  jobId: string;
  kind: SendKind;
  state: SendJobState;
  total: number;
  sent: number;
  failed: number;
  /** Users not settled yet (in flight included); after a cancel, those never reached. */
  remaining: number;
  inFlight: number;
  /** The server asked to slow down (Graph 429 Retry-After, SMTP 421/45x): no mail starts before this time. */
  pausedUntil?: string;
  startedAt: string;
  finishedAt?: string;
  /** Per user handled, in the order selected. */
  results: BulkResult[];
  /** The failed ones, each with the server's own message in details. */
  failures: BulkResult[];
  /** Cancelled: the users that were never started (status unchanged, no link). */
  notReached: Array<{ id: string; userName: string }>;
}

/** The 'app.progress' payload of a send job (a Progress with counts). */
export interface SendProgress {
  operationId: string;
  operation: 'send';
  phase: 'sending' | 'cancelling' | 'finished' | 'cancelled';
  done: number;
  total: number;
  message?: string;
  kind: SendKind;
  sent: number;
  failed: number;
  remaining: number;
  /** Set while the server's "slow down" pause lasts. */
  pausedUntil?: string;
}

export function isSendProgress(p: { operationId: string; operation?: string }): p is SendProgress {
  return p.operation === 'send';
}

const userIds = z.array(localId).min(1, 'Select at least one user').max(10_000);

/** What the send dialog says before a send: what a new mail would replace, and who cannot sign in yet. */
export interface SendCheck {
  total: number;
  /** Users whose mailed link is still open: a new mail cancels it. */
  pendingLinks: number;
  /** The first of them, by user name. */
  pendingNames: string[];
  /**
   * Disabled accounts among the selected: a password alone does not let them sign in. neverActivated:
   * no link of theirs was ever used, so enabling them when they set the password is the default.
   */
  disabled: Array<{ id: string; userName: string; neverActivated: boolean }>;
}

export const onboardingContract = {
  'onboarding.settings.get': channel<OnboardingSettingsView>()(z.object({}).strict()),
  'onboarding.settings.save': channel<OnboardingSettingsView>()(
    z.object({ settings: onboardingSettingsSchema, secrets: onboardingSecretsSchema }).strict(),
  ),
  /** Sends a test mail with the given (possibly unsaved) mail settings; the stored password fills in a blank one. */
  'onboarding.mail.test': channel<{ sent: true; messageId?: string; transport: string }>()(
    z
      .object({
        to: email.min(3, 'Enter the address to send the test mail to'),
        mail: mailSettingsSchema.optional(),
        smtpPassword: z.string().max(1024).optional(),
      })
      .strict(),
  ),
  /** Renders a template (the saved one when omitted) with a user's values or sample values. */
  'onboarding.template.preview': channel<MailPreview>()(
    z
      .object({
        kind: z.enum(['activation', 'temporaryPassword']).default('activation'),
        template: mailTemplateSchema.optional(),
        userId: localId.optional(),
      })
      .strict(),
  ),
  'onboarding.portal.status': channel<PortalStatus>()(z.object({}).strict()),
  'onboarding.portal.start': channel<PortalStatus>()(z.object({}).strict()),
  'onboarding.portal.stop': channel<PortalStatus>()(z.object({}).strict()),
  /** Generates a self-signed certificate for these host names / addresses and switches the portal to it. */
  'onboarding.portal.generateCertificate': channel<PortalStatus>()(
    z.object({ hostnames: z.array(z.string().trim().min(1).max(253)).min(1).max(20) }).strict(),
  ),
  /** Activation mail with a password reset link to each selected user (a new link replaces an older one). */
  /** Everything a send of this kind still needs, checked before the admin confirms it. */
  'onboarding.prerequisites': channel<{ missing: SendPrerequisite[] }>()(
    z.object({ kind: z.enum(['activation', 'temporary']) }).strict(),
  ),
  'onboarding.sendActivation': channel<BulkSummary>()(z.object({ userIds }).strict()),
  /** Sets a temporary password (must change at next sign-in) in the directories and mails it. */
  'onboarding.sendTemporaryPassword': channel<BulkSummary>()(z.object({ userIds }).strict()),
  /** Before a send: how many already have a pending link, and which accounts are disabled. */
  'onboarding.send.check': channel<SendCheck>()(z.object({ userIds }).strict()),
  /** Starts a bulk send as a job and answers at once (see SendJobView for the flow). */
  /**
   * enableOnActivation (activation only): the disabled accounts among userIds are enabled when the
   * user sets the password (true), stay disabled (false), or, left out, those never activated are.
   */
  'onboarding.send.start': channel<SendJobView>()(
    z
      .object({
        kind: z.enum(['activation', 'temporaryPassword']),
        userIds,
        enableOnActivation: z.boolean().optional(),
      })
      .strict(),
  ),
  'onboarding.send.job': channel<SendJobView>()(z.object({ jobId: z.string().max(64) }).strict()),
  /** Answers when the job has ended. */
  'onboarding.send.wait': channel<SendJobView>()(z.object({ jobId: z.string().max(64) }).strict()),
  'onboarding.send.cancel': channel<{ cancelled: boolean }>()(z.object({ jobId: z.string().max(64) }).strict()),
};
