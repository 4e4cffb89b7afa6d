// Onboarding: activation mail with a password reset link, the reset portal
// behind it, the temporary-password alternative, and their settings.
// Passwords pass through here on their way to the directories and are never
// stored, logged or written into a report (report text is also scrubbed of
// them, in case a directory echoed one).
import { hostname } from 'node:os';
import { randomInt } from 'node:crypto';
import {
  onboardingSettingsSchema,
  type BulkResult,
  type BulkSummary,
  type MailPreview,
  type MailSettings,
  type MailTemplate,
  type OnboardingSecrets,
  type OnboardingSettings,
  type OnboardingSettingsView,
  type PortalStatus,
  type SendCheck,
  type SendJobView,
  type SendKind,
  type SendProgress,
} from '../../src-preload/contract/onboarding.ts';
import { primaryEmail, type User } from '../../src-preload/model.ts';
import { directoryKindLabel } from '../../src-preload/directory.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { UsersRepo } from '../store/users.ts';
import type { LinksRepo } from '../store/links.ts';
import type { ReportsRepo, ReportEntryInput } from '../store/reports.ts';
import type { Vault } from '../secrets/vault.ts';
import type { EventBus } from '../events/bus.ts';
import type { Operations } from '../events/operations.ts';
import type { DirectoriesService } from '../directories/service.ts';
import { ConnectorError } from '../connectors/connector.ts';
import { OnboardingStore } from './store.ts';
import { issueToken } from './tokens.ts';
import { defaultTemplates, formatExpiry, renderTemplate, sampleValues, type TemplateKind } from './templates.ts';
import {
  checkSmtpAuthTls,
  createGraphTransport,
  createSmtpTransport,
  smtpEndpoint,
  type MailTransport,
} from './mail.ts';
import { runJob, SendJob, type JobUser, type UserOutcome } from './send-job.ts';
import { SendCancelled, SendGate, sendPaced } from './throttle.ts';
import { checkPassword, generateTemporaryPassword } from './policy.ts';
import { escapeHtml } from '../http/html.ts';
import {
  startPortal,
  type PortalBackend,
  type PortalLimits,
  type RunningPortal,
  type SetPasswordOutcome,
} from './portal/server.ts';
import {
  certificateInfo,
  certificateWarnings,
  checkPair,
  generateSelfSigned,
  type CertificatePair,
} from './portal/certificate.ts';
import { certificateMismatch, localOnlyReason } from './portal/reachability.ts';

export interface OnboardingDeps {
  db: Db;
  users: UsersRepo;
  links: LinksRepo;
  reports: ReportsRepo;
  vault: Vault;
  events: EventBus;
  operations: Operations;
  directories: DirectoriesService;
  /**
   * Makes the local user active through the normal edit, which queues the enable in every directory
   * that provisions users (the activation enables the Password Sync ones itself first).
   */
  enableUser?: (userId: string) => void;
  /** Tests lower the portal's rate limits. */
  portalLimits?: Partial<PortalLimits>;
}

const SMTP_SECRET = 'onboarding:smtp';
const PORTAL_SECRET = 'onboarding:portal';
const SELF_SIGNED_SECRET = 'onboarding:portal-self-signed';
const APPLICATION = 'Onboarding';
/**
 * Mails in flight at once in a bulk send: the SMTP pool keeps as many
 * connections open, and Exchange Online takes at most 4 concurrent requests
 * per mailbox through Graph.
 */
const BULK_CONCURRENCY = 4;
/** Progress events of a send job at most this often (and always at its start and end). */
const PROGRESS_EVERY_MS = 100;
/** A burst of user or outbox changes leads to one look at the users who could not sign in yet. */
const RECHECK_AFTER_MS = 1000;
/** Ended send jobs kept for 'onboarding.send.job'. */
const KEPT_JOBS = 20;

/** A directory that takes this user's password: Password Sync on and the user linked there. */
export interface PasswordTarget {
  directoryId: string;
  name: string;
  kind: string;
  ref: string;
}

export class OnboardingService {
  private readonly d: OnboardingDeps;
  readonly store: OnboardingStore;
  private portal: RunningPortal | undefined;
  private portalError: string | undefined;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private readonly jobs = new Map<string, { job: SendJob; finished: Promise<SendJobView> }>();
  private readonly stopListening: () => void;
  private recheckTimer: ReturnType<typeof setTimeout> | undefined;
  private rechecking: Promise<unknown> | undefined;
  private stopped = false;

  constructor(deps: OnboardingDeps) {
    this.d = deps;
    this.store = new OnboardingStore(deps.db);
    // A user whose password is set but whose account was still disabled becomes Activated once it is
    // enabled: looked at again when users change in the app or the outbox has written to a directory.
    this.stopListening = deps.events.subscribe((name, payload) => {
      const what = name === 'app.changed' ? (payload as { what?: string }).what : undefined;
      if (what === 'users' || what === 'outbox') this.scheduleRecheck();
    });
  }

  // ---------- lifecycle ----------

  async start(): Promise<void> {
    this.sweep();
    this.sweepTimer = setInterval(() => this.sweep(), 60_000);
    this.sweepTimer.unref();
    if (this.store.settings().portal.autoStart) {
      try {
        await this.startPortal(false);
      } catch {
        // Kept in portalError for the Settings page; the app starts anyway.
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopListening();
    clearTimeout(this.recheckTimer);
    await this.rechecking;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    // Running sends stop starting users; mails in flight finish before the store closes.
    for (const { job } of this.jobs.values()) this.d.operations.cancel(job.id);
    await Promise.all([...this.jobs.values()].map((e) => e.finished.catch(() => undefined)));
    await this.portal?.close();
    this.portal = undefined;
  }

  /** Marks invitations whose link has expired. */
  sweep(): number {
    const n = this.store.sweepExpired();
    if (n > 0) this.d.events.emit('app.changed', { what: 'users' });
    return n;
  }

  // ---------- settings ----------

  settingsView(): OnboardingSettingsView {
    const settings = this.store.settings();
    return {
      settings,
      activationTemplate: settings.activationTemplate ?? defaultTemplates.activation,
      temporaryPasswordTemplate: settings.temporaryPasswordTemplate ?? defaultTemplates.temporaryPassword,
      defaultTemplates: {
        activation: defaultTemplates.activation,
        temporaryPassword: defaultTemplates.temporaryPassword,
      },
      hasSmtpPassword: !!this.d.vault.get<{ password?: string }>(SMTP_SECRET)?.password,
      hasPortalKey: !!this.d.vault.get<{ keyPem?: string }>(PORTAL_SECRET)?.keyPem,
      portal: this.portalStatus(),
    };
  }

  async saveSettings(raw: OnboardingSettings, secrets: OnboardingSecrets): Promise<OnboardingSettingsView> {
    const parsed = onboardingSettingsSchema.safeParse(raw);
    if (!parsed.success)
      throw new AppError('validation', 'Some fields are not valid.', { fields: parsed.error.issues });
    const s = parsed.data;
    if (s.mail.transport === 'graph' && s.mail.graph.directoryId) {
      const dir = this.d.directories.record(s.mail.graph.directoryId);
      if (dir.config.kind !== 'entra')
        throw new AppError(
          'validation',
          `"${dir.config.name}" is not a Microsoft Entra ID directory; Graph mail needs one.`,
        );
    }
    // Templates equal to the defaults are not stored, so improved defaults reach the admin.
    if (sameTemplate(s.activationTemplate, defaultTemplates.activation)) s.activationTemplate = undefined;
    if (sameTemplate(s.temporaryPasswordTemplate, defaultTemplates.temporaryPassword))
      s.temporaryPasswordTemplate = undefined;
    if (s.portal.certificate === 'provided' && s.portal.certPem.trim()) {
      const key = secrets.portalKeyPem || this.d.vault.get<{ keyPem?: string }>(PORTAL_SECRET)?.keyPem;
      if (!key) throw new AppError('validation', 'Add the private key of the portal certificate.');
      checkPair({ certPem: s.portal.certPem, keyPem: key });
    }
    // autoStart follows Start/Stop only; a form saved while the portal runs must not switch it off.
    const before = this.store.settings();
    s.portal.autoStart = before.portal.autoStart;
    if (s.mail.transport === 'smtp') checkSmtpAuthTls(s.mail.smtp);
    // The saved SMTP password only ever goes to the server and account it was saved for.
    const smtpMoved = smtpEndpoint(before.mail.smtp) !== smtpEndpoint(s.mail.smtp);
    if (smtpMoved && s.mail.smtp.username && secrets.smtpPassword === undefined && this.savedSmtpPassword())
      throw smtpPasswordRequired('save');
    this.d.db.transaction(() => {
      this.store.saveSettings(s);
      if (smtpMoved) this.d.vault.delete(SMTP_SECRET);
      if (secrets.smtpPassword !== undefined) this.d.vault.merge(SMTP_SECRET, { password: secrets.smtpPassword });
      if (secrets.portalKeyPem !== undefined) this.d.vault.merge(PORTAL_SECRET, { keyPem: secrets.portalKeyPem });
    });
    const { autoStart: _a, ...was } = before.portal;
    const { autoStart: _b, ...now } = s.portal;
    if (this.portal && (JSON.stringify(was) !== JSON.stringify(now) || secrets.portalKeyPem !== undefined))
      await this.restartPortal();
    return this.settingsView();
  }

  // ---------- mail ----------

  private async transport(mail: MailSettings, smtpPassword?: string): Promise<MailTransport> {
    switch (mail.transport) {
      case 'none':
        throw new AppError('validation', 'Choose how mail is sent (SMTP or Microsoft Graph) in Settings first.');
      case 'smtp': {
        const savedHere = smtpEndpoint(mail.smtp) === smtpEndpoint(this.store.settings().mail.smtp);
        if (!smtpPassword && !savedHere && mail.smtp.username && this.savedSmtpPassword())
          throw smtpPasswordRequired('send a test mail');
        return createSmtpTransport(mail, {
          password: smtpPassword || (savedHere ? this.savedSmtpPassword() : undefined),
        });
      }
      case 'graph': {
        if (!mail.graph.directoryId)
          throw new AppError('validation', 'Choose the Microsoft Entra ID directory to send mail through.');
        const dir = this.d.directories.record(mail.graph.directoryId);
        if (dir.config.kind !== 'entra')
          throw new AppError(
            'validation',
            `"${dir.config.name}" is not a Microsoft Entra ID directory; Graph mail needs one.`,
          );
        const mailbox = mail.graph.mailbox || (dir.config.connection.mailFrom ?? '');
        return createGraphTransport(this.d.directories.connector(dir.id), mailbox, dir.config.name);
      }
    }
  }

  private savedSmtpPassword(): string | undefined {
    return this.d.vault.get<{ password?: string }>(SMTP_SECRET)?.password;
  }

  /** One plain-text mail to admin addresses through the configured transport (run-result notices). */
  async sendAdminMail(to: string[], subject: string, text: string): Promise<void> {
    const t = await this.transport(this.store.settings().mail);
    try {
      for (const address of to) await t.send({ to: address, subject, text, html: `<pre>${escape(text)}</pre>` });
    } finally {
      await t.close().catch(() => undefined);
    }
  }

  async sendTestMail(input: { to: string; mail?: MailSettings; smtpPassword?: string }) {
    const mail = input.mail ?? this.store.settings().mail;
    const t = await this.transport(mail, input.smtpPassword);
    try {
      const r = await t.send({
        to: input.to,
        subject: 'Provision Desk test mail',
        text: `This is a test mail from Provision Desk, sent through ${t.label}.\n\nActivation mails will be sent the same way.\n`,
        html: `<p>This is a test mail from Provision Desk, sent through ${escapeHtml(t.label)}.</p><p>Activation mails will be sent the same way.</p>`,
      });
      this.report({
        userIdentifier: input.to,
        objectType: 'mail',
        action: 'mail.test',
        status: 'success',
        message: `Test mail sent through ${t.label}.`,
      });
      return { sent: true as const, messageId: r.messageId, transport: t.label };
    } catch (err) {
      this.report({
        userIdentifier: input.to,
        objectType: 'mail',
        action: 'mail.test',
        status: 'failure',
        message: errorText(err),
      });
      throw err;
    } finally {
      await t.close().catch(() => undefined);
    }
  }

  template(kind: TemplateKind, settings = this.store.settings()): MailTemplate {
    return (
      (kind === 'activation' ? settings.activationTemplate : settings.temporaryPasswordTemplate) ??
      defaultTemplates[kind]
    );
  }

  preview(input: { kind: TemplateKind; template?: MailTemplate; userId?: string }): MailPreview {
    const template = input.template ?? this.template(input.kind);
    const values = { ...sampleValues[input.kind] };
    if (input.userId) {
      const u = this.d.users.get(input.userId);
      if (!u) throw new AppError('not_found', 'The user was not found.');
      values.displayName = displayNameOf(u);
      values.userName = u.userName;
    }
    if (input.kind === 'activation') {
      const s = this.store.settings();
      values.link = `${this.publicBase(s)}/reset?t=PREVIEW-ONLY`;
      values.expiry = formatExpiry(new Date(Date.now() + s.tokenLifetimeHours * 3600_000));
    }
    return renderTemplate(template, values);
  }

  // ---------- bulk actions ----------

  /** Activation mail with a fresh link to each user; a new link replaces (invalidates) an older one. */
  async sendActivation(userIds: string[]): Promise<BulkSummary> {
    return summaryOf(await (await this.startSend('activation', userIds)).finished);
  }

  /** A temporary password, set in every linked directory with "must change at next sign-in", then mailed. */
  async sendTemporaryPassword(userIds: string[]): Promise<BulkSummary> {
    return summaryOf(await (await this.startSend('temporaryPassword', userIds)).finished);
  }

  /** What the send dialog tells before sending: links a new mail would cancel, disabled accounts. */
  checkSend(userIds: string[]): SendCheck {
    const now = new Date().toISOString();
    const pending: string[] = [];
    const disabled: SendCheck['disabled'] = [];
    const ids = [...new Set(userIds)];
    for (const id of ids) {
      const user = this.d.users.get(id);
      if (!user) continue;
      const row = this.store.get(id);
      if (row?.tokenHash && row.tokenExpires && row.tokenExpires > now) pending.push(user.userName);
      if (!user.active) disabled.push({ id, userName: user.userName, neverActivated: !row?.activatedAt });
    }
    pending.sort((a, b) => a.localeCompare(b));
    return { total: ids.length, pendingLinks: pending.length, pendingNames: pending.slice(0, 10), disabled };
  }

  /**
   * Starts a bulk send as a job and returns as soon as it runs. `portal`:
   * 'running' (the window) needs this process's reset portal up; 'enabled'
   * (the command line, whose process exits after sending) relies on the
   * portal of the app or of `provision-desk serve`. Either way an activation
   * send goes out only when the public address answers with the portal's certificate.
   */
  async startSend(
    kind: SendKind,
    userIds: string[],
    opts: { portal?: 'running' | 'enabled'; enableOnActivation?: boolean } = {},
  ): Promise<{ job: SendJob; finished: Promise<SendJobView> }> {
    const settings = this.store.settings();
    // In the window the portal is this process's own; the command line relies on the app's or a serve's,
    // which checkLinksWork finds answering (or not) at the public address.
    if (kind === 'activation' && !this.portal && opts.portal !== 'enabled')
      throw new AppError(
        'portal_stopped',
        'Start the reset portal in Settings first: the links in the mails open it.',
        { settings: 'settings' },
      );
    if (kind === 'activation') await this.checkLinksWork(settings);
    const ids = [...new Set(userIds)];
    const users = ids.map((id) => ({ id, userName: this.d.users.get(id)?.userName ?? id }));
    const t = await this.transport(settings.mail);
    const op = this.d.operations.start();
    const job = new SendJob(op.id, kind, users);
    const phase = kind === 'activation' ? 'Sending activation mail' : 'Mailing temporary passwords';
    let last = 0;
    let trailing: ReturnType<typeof setTimeout> | undefined;
    // At most one event per interval; a change inside the interval is sent at its end, so the bar
    // never stays behind while the workers wait on a slow server.
    const progress = (force = false) => {
      const wait = last + PROGRESS_EVERY_MS - Date.now();
      if (!force && wait > 0) {
        trailing ??= setTimeout(() => progress(true), wait);
        return;
      }
      clearTimeout(trailing);
      trailing = undefined;
      last = Date.now();
      this.d.events.emit('app.progress', progressOf(job.view(), phase));
    };
    const gate = new SendGate({
      onHold: (until) => {
        job.pause(until);
        progress(true);
      },
    });
    op.signal.addEventListener('abort', () => job.cancel() && progress(true), { once: true });
    const one =
      kind === 'activation'
        ? (u: JobUser) => this.activationFor(u, t, settings, gate, op.signal, opts.enableOnActivation)
        : (u: JobUser) => this.temporaryPasswordFor(u, t, settings, gate, op.signal);
    progress(true);
    const finished = runJob(job, BULK_CONCURRENCY, one, () => progress()).finally(async () => {
      op.done();
      await t.close().catch(() => undefined);
      progress(true);
      this.d.events.emit('app.changed', { what: 'users' });
      this.d.events.emit('app.changed', { what: 'reports' });
    });
    this.jobs.set(job.id, { job, finished });
    this.forgetOldJobs();
    return { job, finished };
  }

  /** A send job's view now; jobs are kept in memory until a few newer ones have ended. */
  sendJob(jobId: string): SendJobView {
    return this.jobEntry(jobId).job.view();
  }

  /** Answers when the job has ended. */
  waitSend(jobId: string): Promise<SendJobView> {
    return this.jobEntry(jobId).finished;
  }

  /** Stops a send job: no new user starts; mails in flight finish. False when it had ended. */
  cancelSend(jobId: string): boolean {
    this.jobEntry(jobId);
    return this.d.operations.cancel(jobId);
  }

  private jobEntry(jobId: string) {
    const e = this.jobs.get(jobId);
    if (!e)
      throw new AppError('not_found', 'That send job is not known (it ended long ago, or the app restarted).', {
        jobId,
      });
    return e;
  }

  private forgetOldJobs(): void {
    const ended = [...this.jobs.values()].filter((e) => e.job.current === 'finished' || e.job.current === 'cancelled');
    for (const e of ended.slice(0, Math.max(0, ended.length - KEPT_JOBS))) this.jobs.delete(e.job.id);
  }

  /** Who a mail goes to, and where their password is set; or why this user cannot get one. */
  private recipient(ju: JobUser, action: 'activation.sent' | 'temporaryPassword.sent') {
    const user = this.d.users.get(ju.id);
    if (!user)
      return {
        userId: ju.id,
        userName: ju.userName,
        ok: false,
        message: 'The user was not found.',
      } satisfies UserOutcome;
    const to = primaryEmail(user);
    if (!to) return this.userFailure(user, action, 'The user has no e-mail address.');
    const targets = this.passwordTargets(user.id);
    if (targets.length === 0)
      return this.userFailure(user, action, 'The user is not linked to any directory where Password Sync is on.');
    return { user, to, targets };
  }

  private async activationFor(
    ju: JobUser,
    t: MailTransport,
    settings: OnboardingSettings,
    gate: SendGate,
    signal: AbortSignal,
    enableOnActivation: boolean | undefined,
  ): Promise<UserOutcome> {
    const r = this.recipient(ju, 'activation.sent');
    if (!('to' in r)) return r;
    const { user, to } = r;
    // Only an account disabled now is enabled later; by default one never activated (a new hire), not one
    // disabled after it worked (someone who left).
    const enable = !user.active && (enableOnActivation ?? !this.store.get(user.id)?.activatedAt);
    const { token, hash } = issueToken();
    const expires = new Date(Date.now() + settings.tokenLifetimeHours * 3600_000);
    const link = `${this.publicBase(settings)}/reset?t=${token}`;
    const mail = renderTemplate(this.template('activation', settings), {
      displayName: displayNameOf(user),
      userName: user.userName,
      link,
      expiry: formatExpiry(expires),
    });
    try {
      await sendPaced(
        t,
        { to, toName: user.displayName, subject: mail.subject, html: mail.html, text: mail.text },
        gate,
        signal,
      );
    } catch (err) {
      if (err instanceof SendCancelled) return 'notReached';
      return this.userFailure(user, 'activation.sent', `The activation mail could not be sent: ${errorText(err)}`, err);
    }
    // Stored once the server took the mail: a user whose mail never left keeps their status and gets no link.
    this.store.invite(user.id, hash, expires.toISOString(), enable);
    const disabledNote = user.active
      ? ''
      : enable
        ? ' The account is disabled; it is enabled when the user sets the password.'
        : ' The account is disabled and stays so: the password alone does not let the user sign in.';
    const message = `Activation mail sent to ${to} through ${t.label}; the link expires ${expires.toISOString()}.${disabledNote}`;
    this.report({
      userIdentifier: user.userName,
      objectType: 'user',
      action: 'activation.sent',
      status: 'success',
      message,
    });
    return { userId: user.id, userName: user.userName, ok: true, message };
  }

  private async temporaryPasswordFor(
    ju: JobUser,
    t: MailTransport,
    settings: OnboardingSettings,
    gate: SendGate,
    signal: AbortSignal,
  ): Promise<UserOutcome> {
    const r = this.recipient(ju, 'temporaryPassword.sent');
    if (!('to' in r)) return r;
    const { user, to, targets } = r;
    // Wait out a pause before touching the password: a cancel during it leaves this user as they were.
    try {
      await gate.ready(signal);
    } catch (err) {
      if (err instanceof SendCancelled) return 'notReached';
      throw err;
    }
    const password = generateTemporaryPassword(
      settings.policy,
      { userName: user.userName, displayName: user.displayName },
      randomInt,
    );
    const outcome = await this.setEverywhere(user, targets, password, {
      mustChange: true,
      action: 'password.temporary',
    });
    if (outcome.succeeded === 0)
      return this.userFailure(
        user,
        'temporaryPassword.sent',
        `No directory took the temporary password, so no mail was sent: ${outcome.problems.join(' ')}`,
      );
    const mail = renderTemplate(this.template('temporaryPassword', settings), {
      displayName: displayNameOf(user),
      userName: user.userName,
      password,
    });
    try {
      // No signal: the password is set now, so its mail goes out even if the job is cancelled meanwhile.
      await sendPaced(
        t,
        { to, toName: user.displayName, subject: mail.subject, html: mail.html, text: mail.text },
        gate,
      );
    } catch (err) {
      return this.userFailure(
        user,
        'temporaryPassword.sent',
        `The password was set but the mail could not be sent: ${errorText(err)}`,
        err,
      );
    }
    const partial = outcome.problems.length ? ` Problems: ${outcome.problems.join(' ')}` : '';
    const message = `Temporary password mailed to ${to} through ${t.label}; it must be changed at the next sign-in.${partial}`;
    this.store.invitedWithTemporaryPassword(
      user.id,
      partial ? `Temporary password mailed.${partial}` : 'Temporary password mailed.',
    );
    this.report({
      userIdentifier: user.userName,
      objectType: 'user',
      action: 'temporaryPassword.sent',
      status: partial ? 'failure' : 'success',
      message,
    });
    return { userId: user.id, userName: user.userName, ok: !partial, message };
  }

  private userFailure(user: User, action: string, message: string, err?: unknown): BulkResult {
    this.store.fail(user.id, message);
    this.report({ userIdentifier: user.userName, objectType: 'user', action, status: 'failure', message });
    return {
      userId: user.id,
      userName: user.userName,
      ok: false,
      message,
      details: err ? errorDetails(err) : undefined,
    };
  }

  // ---------- passwords ----------

  passwordTargets(userId: string): PasswordTarget[] {
    const out: PasswordTarget[] = [];
    for (const l of this.d.links.forLocal(userId)) {
      if (l.objectType !== 'user' || !l.ref) continue;
      let dir;
      try {
        dir = this.d.directories.record(l.directoryId);
      } catch {
        continue;
      }
      if (!dir.config.toggles.users.passwordSync) continue;
      out.push({ directoryId: dir.id, name: dir.config.name, kind: dir.config.kind, ref: l.ref });
    }
    return out;
  }

  /** Sets the password in each target; one report entry per directory, scrubbed of the password. */
  private async setEverywhere(
    user: User,
    targets: PasswordTarget[],
    password: string,
    opts: { mustChange: boolean; action: string },
  ): Promise<{ succeeded: number; refused: string[]; failed: string[]; problems: string[] }> {
    const refused: string[] = [];
    const failed: string[] = [];
    let succeeded = 0;
    for (const target of targets) {
      const label = `${target.name} (${directoryKindLabel[target.kind as keyof typeof directoryKindLabel] ?? target.kind})`;
      let connector;
      try {
        connector = this.d.directories.connector(target.directoryId);
        await connector.setPassword(target.ref, password, { mustChange: opts.mustChange });
        succeeded++;
        this.report({
          userIdentifier: user.userName,
          objectType: 'user',
          action: opts.action,
          application: target.name,
          directoryId: target.directoryId,
          status: 'success',
          message: opts.mustChange
            ? 'Temporary password set; it must be changed at the next sign-in.'
            : 'Password set.',
        });
      } catch (err) {
        const server = scrub(serverText(err), password);
        const sentence = scrub(err instanceof Error ? err.message : String(err), password);
        const isPolicy = err instanceof ConnectorError && (err.code === 'password_policy' || err.code === 'constraint');
        const line = `${label}: ${sentence}${server && !sentence.includes(server) ? ` (${server})` : ''}`;
        (isPolicy ? refused : failed).push(line);
        this.report({
          userIdentifier: user.userName,
          objectType: 'user',
          action: opts.action,
          application: target.name,
          directoryId: target.directoryId,
          status: 'failure',
          message: line,
          requestId: requestIdOf(err),
        });
      } finally {
        await connector?.close().catch(() => undefined);
      }
    }
    return { succeeded, refused, failed, problems: [...refused, ...failed] };
  }

  // ---------- the portal ----------

  private backend(): PortalBackend {
    return {
      account: (hash) => {
        const row = this.store.byTokenHash(hash);
        if (!row || !row.tokenExpires || row.tokenExpires <= new Date().toISOString()) return undefined;
        const u = this.d.users.get(row.userId);
        return u ? { userName: u.userName, displayName: displayNameOf(u) } : undefined;
      },
      policy: () => this.store.settings().policy,
      setPassword: (hash, password) => this.activate(hash, password),
    };
  }

  /** The reset page's submit: set the password everywhere, then use up the token. */
  private async activate(hash: string, password: string): Promise<SetPasswordOutcome> {
    const row = this.store.byTokenHash(hash);
    if (!row || !row.tokenExpires || row.tokenExpires <= new Date().toISOString()) return { kind: 'invalid' };
    const user = this.d.users.get(row.userId);
    if (!user) return { kind: 'invalid' };
    // The portal checked already; checked again here, the one place that sets the password.
    const problems = checkPassword(password, this.store.settings().policy, user);
    if (problems.length) return { kind: 'refused', messages: problems };
    const targets = this.passwordTargets(user.id);
    if (targets.length === 0) {
      this.store.fail(
        user.id,
        'The reset page could not set the password: no linked directory has Password Sync on.',
        true,
      );
      return {
        kind: 'failed',
        messages: [
          'Your account is not linked to any system that takes its password from here. Tell your IT service desk.',
        ],
      };
    }
    const outcome = await this.setEverywhere(user, targets, password, { mustChange: false, action: 'password.set' });
    this.d.events.emit('app.changed', { what: 'reports' });
    if (outcome.refused.length) {
      this.store.fail(user.id, `The password chosen on the reset page was refused: ${outcome.refused.join(' ')}`, true);
      this.d.events.emit('app.changed', { what: 'users' });
      // The page is public: it names no internal system and repeats no server's words (the report has them).
      return { kind: 'refused', messages: [PORTAL_REFUSED] };
    }
    if (outcome.failed.length) {
      this.store.fail(user.id, `The password could not be set everywhere: ${outcome.failed.join(' ')}`, true);
      this.d.events.emit('app.changed', { what: 'users' });
      return { kind: 'failed', messages: [PORTAL_FAILED] };
    }
    if (row.enableOnActivation && !user.active) await this.enableEverywhere(user, targets);
    const missing = await this.cannotSignIn(targets);
    const cannotSignIn = missing.length ? `Password set; ${missing.join('; ')}.` : undefined;
    const consumed = this.store.consume(hash, cannotSignIn);
    const set = `set in ${targets.length} director${targets.length > 1 ? 'ies' : 'y'}`;
    this.report({
      userIdentifier: user.userName,
      objectType: 'user',
      action: 'activation.completed',
      status: consumed && !cannotSignIn ? 'success' : 'failure',
      message: !consumed
        ? 'The password was set, but the link had expired meanwhile.'
        : cannotSignIn
          ? `The user chose a password on the reset page (${set}), but cannot sign in yet: ${cannotSignIn}`
          : `The user chose a password on the reset page; ${set}; the account can sign in.`,
    });
    this.d.events.emit('app.changed', { what: 'users' });
    this.d.events.emit('app.changed', { what: 'reports' });
    return cannotSignIn ? { kind: 'cannotSignIn' } : { kind: 'done', directories: targets.length };
  }

  /**
   * Enables the account in each directory that took the password, right after it (not before: the
   * old password would have worked meanwhile), then makes the local user active through the normal
   * edit so provisioning agrees and enables it wherever else users are provisioned.
   */
  private async enableEverywhere(user: User, targets: PasswordTarget[]): Promise<void> {
    for (const target of targets) {
      let connector;
      try {
        connector = this.d.directories.connector(target.directoryId);
        await connector.setUserEnabled(target.ref, true);
        this.report({
          userIdentifier: user.userName,
          objectType: 'user',
          action: 'account.enabled',
          application: target.name,
          directoryId: target.directoryId,
          status: 'success',
          message: 'Account enabled: the user set the password on the reset page.',
        });
      } catch (err) {
        this.report({
          userIdentifier: user.userName,
          objectType: 'user',
          action: 'account.enabled',
          application: target.name,
          directoryId: target.directoryId,
          status: 'failure',
          message: `The account could not be enabled: ${errorText(err)}${serverText(err) ? ` (${serverText(err)})` : ''}`,
          requestId: requestIdOf(err),
        });
      } finally {
        await connector?.close().catch(() => undefined);
      }
    }
    try {
      this.d.enableUser?.(user.id);
    } catch (err) {
      this.report({
        userIdentifier: user.userName,
        objectType: 'user',
        action: 'account.enabled',
        status: 'failure',
        message: `The user could not be made active in the app: ${errorText(err)}`,
      });
    }
  }

  private scheduleRecheck(): void {
    if (this.recheckTimer || this.stopped) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = undefined;
      if (this.rechecking) return this.scheduleRecheck();
      this.rechecking = this.recheckSignIn()
        .catch(() => undefined)
        .finally(() => (this.rechecking = undefined));
    }, RECHECK_AFTER_MS);
    this.recheckTimer.unref?.();
  }

  /**
   * Users whose password is set but who could not sign in: those active in the app now are read back
   * from their directories; Activated when nothing is missing any more. Returns how many changed.
   */
  async recheckSignIn(): Promise<number> {
    let changed = 0;
    for (const r of this.store.statuses('passwordSet')) {
      const user = this.d.users.get(r.userId);
      if (!user?.active || this.stopped) continue;
      const missing = await this.cannotSignIn(this.passwordTargets(user.id));
      const cannotSignIn = missing.length ? `Password set; ${missing.join('; ')}.` : undefined;
      if (cannotSignIn === r.reason || this.stopped || !this.store.settleSignIn(user.id, cannotSignIn)) continue;
      changed++;
      if (!cannotSignIn)
        this.report({
          userIdentifier: user.userName,
          objectType: 'user',
          action: 'activation.completed',
          status: 'success',
          message: 'The account is enabled now: it can sign in with the password the user chose.',
        });
    }
    if (changed) {
      this.d.events.emit('app.changed', { what: 'users' });
      this.d.events.emit('app.changed', { what: 'reports' });
    }
    return changed;
  }

  /**
   * What keeps the account from signing in where its password was set, read back from each
   * directory: "account still disabled in Corp AD". Empty when it can sign in everywhere.
   */
  private async cannotSignIn(targets: PasswordTarget[]): Promise<string[]> {
    const missing: string[] = [];
    for (const target of targets) {
      let connector;
      try {
        connector = this.d.directories.connector(target.directoryId);
        const remote = await connector.getUser(target.ref);
        if (!remote) missing.push(`the account is no longer found in ${target.name}`);
        else if (remote.data.active === false) missing.push(`account still disabled in ${target.name}`);
      } catch (err) {
        missing.push(`could not check that the account is enabled in ${target.name} (${errorText(err)})`);
      } finally {
        await connector?.close().catch(() => undefined);
      }
    }
    return missing;
  }

  /**
   * Refuses an activation send whose links nobody else could open: a public
   * address that is loopback or link-local, or that does not answer with the
   * portal's own certificate (nothing there, or another service).
   */
  private async checkLinksWork(s: OnboardingSettings): Promise<void> {
    const publicUrl = this.publicBase(s);
    const refuse = (reason: string, fix: string) =>
      new AppError('portal_unreachable', `Nothing was sent: the links would open ${publicUrl}, but ${reason}. ${fix}`, {
        publicUrl,
        reason,
        settings: 'settings',
      });
    const setAddress = "Set the portal's public address in Settings, Reset portal, to one the users' devices reach.";
    const local = localOnlyReason(publicUrl);
    if (local) throw refuse(`that is ${local}`, setAddress);
    const pair = this.certificatePair(s);
    const start =
      'Start the reset portal (Settings, Reset portal, or `provision-desk serve` on an always-on host) and check that this address reaches it.';
    if (!pair) throw refuse('the portal has never been started', start);
    const m = await certificateMismatch(publicUrl, pair.certPem);
    if (m) throw refuse(m.reason, m.answered ? setAddress : start);
  }

  publicBase(s: OnboardingSettings = this.store.settings()): string {
    if (s.portal.publicUrl) return s.portal.publicUrl.replace(/\/+$/, '');
    const host = ['0.0.0.0', '::', ''].includes(s.portal.listenHost) ? hostname() : s.portal.listenHost;
    const h = host.includes(':') ? `[${host}]` : host;
    return `https://${h}${s.portal.port === 443 ? '' : `:${s.portal.port}`}`;
  }

  private certificatePair(s: OnboardingSettings): CertificatePair | undefined {
    if (s.portal.certificate === 'provided') {
      const keyPem = this.d.vault.get<{ keyPem?: string }>(PORTAL_SECRET)?.keyPem;
      return s.portal.certPem.trim() && keyPem ? { certPem: s.portal.certPem, keyPem } : undefined;
    }
    const pair = this.d.vault.get<{ certPem?: string; keyPem?: string }>(SELF_SIGNED_SECRET);
    return pair?.certPem && pair.keyPem ? { certPem: pair.certPem, keyPem: pair.keyPem } : undefined;
  }

  portalStatus(): PortalStatus {
    const s = this.store.settings();
    const publicUrl = this.publicBase(s);
    const pair = this.certificatePair(s);
    let certificate;
    const warnings: string[] = [];
    if (pair) {
      try {
        certificate = certificateInfo(pair.certPem);
        warnings.push(...certificateWarnings(certificate, new URL(publicUrl).hostname));
      } catch {
        warnings.push('The stored certificate cannot be read.');
      }
    } else if (s.portal.certificate === 'provided')
      warnings.push('Add your certificate and its private key, or choose a self-signed one.');
    return {
      running: !!this.portal,
      listening: this.portal?.url,
      publicUrl,
      certificate,
      warnings,
      error: this.portalError,
    };
  }

  async generateCertificate(hostnames: string[]): Promise<PortalStatus> {
    const pair = await generateSelfSigned(hostnames);
    this.d.vault.merge(SELF_SIGNED_SECRET, { certPem: pair.certPem, keyPem: pair.keyPem });
    const s = this.store.settings();
    if (s.portal.certificate !== 'selfSigned')
      this.store.saveSettings({ ...s, portal: { ...s.portal, certificate: 'selfSigned' } });
    if (this.portal) await this.restartPortal();
    return this.portalStatus();
  }

  async startPortal(remember = true): Promise<PortalStatus> {
    let s = this.store.settings();
    let pair = this.certificatePair(s);
    if (!pair && s.portal.certificate === 'selfSigned') {
      const names = new Set(['localhost', '127.0.0.1', hostname()]);
      if (!['0.0.0.0', '::'].includes(s.portal.listenHost)) names.add(s.portal.listenHost);
      names.add(new URL(this.publicBase(s)).hostname.replace(/^\[|\]$/g, ''));
      pair = await generateSelfSigned([...names]);
      this.d.vault.merge(SELF_SIGNED_SECRET, { certPem: pair.certPem, keyPem: pair.keyPem });
    }
    if (!pair) {
      this.portalError = 'The portal has no certificate: add yours, or choose a self-signed one.';
      throw new AppError('validation', this.portalError);
    }
    await this.portal?.close();
    this.portal = undefined;
    try {
      this.portal = await startPortal({
        host: s.portal.listenHost,
        port: s.portal.port,
        certPem: pair.certPem,
        keyPem: pair.keyPem,
        backend: this.backend(),
        limits: this.d.portalLimits,
      });
      this.portalError = undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.portalError =
        code === 'EADDRINUSE'
          ? `Port ${s.portal.port} on ${s.portal.listenHost} is in use by another program; choose another port.`
          : code === 'EACCES'
            ? `Provision Desk may not listen on port ${s.portal.port}; choose a port above 1024.`
            : code === 'EADDRNOTAVAIL'
              ? `This computer has no address ${s.portal.listenHost}.`
              : 'The reset portal could not start.';
      throw new AppError('portal_failed', this.portalError, errorDetails(err));
    }
    if (remember && !s.portal.autoStart) {
      s = this.store.settings();
      this.store.saveSettings({ ...s, portal: { ...s.portal, autoStart: true } });
    }
    return this.portalStatus();
  }

  async stopPortal(): Promise<PortalStatus> {
    await this.portal?.close();
    this.portal = undefined;
    const s = this.store.settings();
    if (s.portal.autoStart) this.store.saveSettings({ ...s, portal: { ...s.portal, autoStart: false } });
    return this.portalStatus();
  }

  private async restartPortal(): Promise<void> {
    await this.startPortal(false);
  }

  /** Where the running portal listens (tests and the CLI). */
  portalUrl(): string | undefined {
    return this.portal?.url;
  }

  private report(e: Omit<ReportEntryInput, 'application'> & { application?: string }): void {
    this.d.reports.add({ ...e, application: e.application ?? APPLICATION });
  }
}

function summaryOf(v: SendJobView): BulkSummary {
  return { operationId: v.jobId, sent: v.sent, failed: v.failed, results: v.results };
}

function progressOf(v: SendJobView, what: string): SendProgress {
  const phase = v.state === 'running' ? 'sending' : v.state;
  const counts = `${v.sent} sent, ${v.failed} failed, ${v.remaining} ${v.state === 'cancelled' ? 'not reached' : 'left'}`;
  return {
    operationId: v.jobId,
    operation: 'send',
    phase,
    done: v.sent + v.failed,
    total: v.total,
    kind: v.kind,
    sent: v.sent,
    failed: v.failed,
    remaining: v.remaining,
    pausedUntil: v.pausedUntil,
    message: `${phase === 'sending' ? (v.pausedUntil ? `${what}: paused, the server asked to wait until ${v.pausedUntil}` : what) : phase === 'cancelling' ? 'Cancelling: mails in flight finish' : phase === 'cancelled' ? 'Cancelled' : 'Done'} (${counts})`,
  };
}

function displayNameOf(u: User): string {
  return u.displayName || [u.name.givenName, u.name.familyName].filter(Boolean).join(' ') || u.userName;
}

const PORTAL_REFUSED =
  "Your organisation's password rules do not accept this password (for example, it was used before or is too simple). Choose another one.";
const PORTAL_FAILED = 'Your password could not be set right now. Try again later, or tell your IT service desk.';

function smtpPasswordRequired(action: string): AppError {
  return new AppError(
    'secret_required',
    `The SMTP server, port, security or user name differ from the saved ones, so the saved SMTP password is not sent there. Enter the SMTP password again to ${action}.`,
    { field: 'smtpPassword' },
  );
}

function sameTemplate(a: MailTemplate | undefined, b: MailTemplate): boolean {
  return !a || (a.subject === b.subject && a.html === b.html && a.text === b.text);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorDetails(err: unknown): unknown {
  if (err instanceof AppError || err instanceof ConnectorError) return err.details;
  return err instanceof Error ? err.message : undefined;
}

/** The server's own words from a connector error's details. */
function serverText(err: unknown): string {
  const d = (err as { details?: unknown })?.details;
  if (typeof d === 'string') return d;
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    for (const k of ['serverMessage', 'message', 'response'])
      if (typeof o[k] === 'string' && o[k]) return o[k] as string;
  }
  return '';
}

function requestIdOf(err: unknown): string | undefined {
  const d = (err as { details?: { requestId?: unknown } })?.details;
  return typeof d?.requestId === 'string' ? d.requestId : undefined;
}

/** Removes the password from text a directory sent back, should it ever echo it. */
function scrub(text: string, password: string): string {
  return password ? text.split(password).join('••••') : text;
}
