// Mail transports for onboarding: SMTP through nodemailer (implicit TLS or
// required STARTTLS, authentication, an extra CA) and Microsoft Graph
// sendMail from a mailbox of an Entra directory. Errors come back as one
// sentence for the admin with the server's own answer in details; the SMTP
// password never appears in either.
import { createTransport } from 'nodemailer';
import type { MailSettings } from '../../src-preload/contract/onboarding.ts';
import type { ErrorCode } from '../../src-preload/errors.ts';
import { AppError } from '../errors.ts';
import type { Connector } from '../connectors/connector.ts';
import { ConnectorError } from '../connectors/connector.ts';

export interface OutgoingMail {
  to: string;
  toName?: string;
  subject: string;
  html: string;
  text: string;
}

export interface MailTransport {
  /** For reports: "SMTP smtp.example.com" or "Microsoft Graph (mailbox@x)". */
  readonly label: string;
  send(mail: OutgoingMail, signal?: AbortSignal): Promise<{ messageId?: string }>;
  close(): Promise<void>;
}

/** A mail the server did not take; retryAfterMs when it asked to be tried again later (Graph's Retry-After). */
export class MailError extends AppError {
  readonly retryAfterMs?: number;
  constructor(code: ErrorCode, message: string, details?: unknown, retryAfterMs?: number) {
    super(code, message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

export interface SmtpSecrets {
  password?: string;
}

const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

/** True for a host on this computer: the only place a password may go without TLS. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** SMTP AUTH sends the password readable by anyone on the path unless TLS protects it. */
export function checkSmtpAuthTls(s: MailSettings['smtp']): void {
  if (s.security === 'none' && s.username && !isLoopbackHost(s.host))
    throw new AppError(
      'tls_required',
      `The SMTP password would cross the network unencrypted to ${s.host}: choose STARTTLS or TLS, or sign in only to a relay on this computer (localhost).`,
      { field: 'mail.smtp.security' },
    );
}

/** Which SMTP server (and account) a saved password belongs to. */
export function smtpEndpoint(s: MailSettings['smtp']): string {
  return JSON.stringify([
    s.host.trim().toLowerCase(),
    s.port,
    s.security,
    s.username.trim().toLowerCase(),
    s.caPem.trim(),
    s.verifyCertificate,
  ]);
}

export function createSmtpTransport(mail: MailSettings, secrets: SmtpSecrets): MailTransport {
  const s = mail.smtp;
  if (!s.host) throw new AppError('validation', 'Enter the SMTP server name before sending mail.');
  checkSmtpAuthTls(s);
  if (!mail.fromAddress) throw new AppError('validation', 'Enter the sender address ("From") before sending mail.');
  const transporter = createTransport({
    pool: true,
    maxConnections: 4,
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    auth: s.username ? { user: s.username, pass: secrets.password ?? '' } : undefined,
    tls: {
      ca: s.caPem.trim() ? s.caPem : undefined,
      rejectUnauthorized: s.verifyCertificate,
      minVersion: 'TLSv1.2',
      servername: isIp(s.host) ? undefined : s.host,
    },
    ...TIMEOUTS,
    logger: false,
    debug: false,
  });
  const from = { name: mail.fromName, address: mail.fromAddress };
  return {
    label: `SMTP ${s.host}:${s.port}`,
    async send(m, signal) {
      if (signal?.aborted) throw new AppError('cancelled', 'Sending was cancelled.');
      try {
        const info = await transporter.sendMail({
          from,
          to: m.toName ? { name: m.toName, address: m.to } : m.to,
          subject: m.subject,
          html: m.html,
          text: m.text,
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw smtpError(err, s.host, s.port);
      }
    },
    async close() {
      transporter.close();
    },
  };
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** nodemailer's error → the admin's sentence; the server's reply in details. */
export function smtpError(err: unknown, host: string, port: number): AppError {
  const e = (err ?? {}) as {
    code?: string;
    response?: string;
    responseCode?: number;
    message?: string;
    command?: string;
  };
  const details = {
    code: e.code,
    responseCode: e.responseCode,
    response: e.response,
    command: e.command,
    message: e.message,
  };
  const where = `${host}:${port}`;
  const tlsCause = /certificate|self[- ]signed|unable to verify|CERT_|altnames/i.test(e.message ?? '');
  switch (true) {
    case e.code === 'EAUTH':
      return new AppError(
        'invalid_credentials',
        `The SMTP server ${where} refused the user name or password.`,
        details,
      );
    case tlsCause:
      return new AppError(
        'certificate_untrusted',
        `The certificate of the SMTP server ${where} is not trusted; add its CA certificate in the mail settings.`,
        details,
      );
    case e.code === 'ETLS' || /STARTTLS/i.test(e.message ?? ''):
      return new AppError(
        'tls_required',
        `A secure connection to the SMTP server ${where} could not be made.`,
        details,
      );
    case e.code === 'ETIMEDOUT':
      return new AppError('timeout', `The SMTP server ${where} did not answer in time.`, details);
    case e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS':
      return new AppError('unreachable', `The SMTP server ${where} could not be reached.`, details);
    case e.code === 'EENVELOPE':
      return new AppError('mail_refused', `The SMTP server ${where} refused the sender or the recipient.`, details);
    default:
      return new AppError('mail_failed', `The SMTP server ${where} did not accept the mail.`, details);
  }
}

/** Sends through a saved Entra directory's connector, from the given mailbox. */
export function createGraphTransport(connector: Connector, mailbox: string, directoryName: string): MailTransport {
  const sendMail = connector.sendMail?.bind(connector);
  if (!sendMail)
    throw new AppError('not_available', `The directory "${directoryName}" cannot send mail through Microsoft Graph.`);
  if (!mailbox) throw new AppError('validation', 'Choose the mailbox to send from.');
  return {
    label: `Microsoft Graph (${mailbox})`,
    async send(m, signal) {
      try {
        await sendMail(mailbox, { to: m.to, subject: m.subject, html: m.html, text: m.text }, signal);
        return {};
      } catch (err) {
        if (err instanceof ConnectorError)
          throw new MailError(
            err.code,
            `Microsoft Graph did not send the mail from ${mailbox}: ${err.message}`,
            err.details,
            err.retryAfterMs,
          );
        throw err;
      }
    },
    close: () => connector.close(),
  };
}
