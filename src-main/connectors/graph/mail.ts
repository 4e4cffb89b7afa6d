// sendMail through Graph for the onboarding mails (activation, password reset).
// POST /users/{from}/sendMail answers 202: accepted, not yet delivered.
// Needs the application permission Mail.Send.
import type { DirectoryConfig, DirectorySecrets } from '../../../src-preload/directory.ts';
import { ConnectorError, type DirectoryMail } from '../connector.ts';
import { enc, type GraphContext } from './context.ts';

export type GraphMailMessage = DirectoryMail;

export function mailBody(message: GraphMailMessage): Record<string, unknown> {
  const to = (Array.isArray(message.to) ? message.to : [message.to]).filter(Boolean);
  if (to.length === 0) throw new ConnectorError('invalid_value', 'The mail has no recipient.', { transient: false });
  const html = message.html !== undefined && message.html !== '';
  return {
    message: {
      subject: message.subject,
      body: { contentType: html ? 'HTML' : 'Text', content: html ? message.html : (message.text ?? '') },
      toRecipients: to.map((address) => ({ emailAddress: { address } })),
    },
    saveToSentItems: false,
  };
}

export async function sendMailWith(
  ctx: GraphContext,
  from: string | undefined,
  message: GraphMailMessage,
  signal?: AbortSignal,
): Promise<void> {
  const sender = from ?? ctx.conn.mailFrom;
  if (!sender) {
    throw new ConnectorError('invalid_value', 'No sender mailbox is set for this directory (mail from).', {
      transient: false,
    });
  }
  try {
    await ctx.http.request({
      method: 'POST',
      url: `/users/${enc(sender)}/sendMail`,
      body: mailBody(message),
      signal,
      what: `send mail from ${sender}`,
    });
  } catch (err) {
    if (err instanceof ConnectorError && err.code === 'permission_missing') {
      throw new ConnectorError(
        'permission_missing',
        'The app may not send mail: grant it the Microsoft Graph application permission Mail.Send.',
        {
          details: err.details,
          transient: false,
          cause: err,
        },
      );
    }
    if (err instanceof ConnectorError && err.code === 'not_found') {
      throw new ConnectorError('not_found', `The sender mailbox ${sender} was not found in the tenant.`, {
        details: err.details,
        transient: false,
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Sends one mail through the directory's Graph
 * connection (from config.connection.mailFrom unless `from` is given).
 * Builds a connector for the call; keep a connector and use its `sendMail`
 * method when sending many.
 */
export async function sendGraphMail(
  config: DirectoryConfig,
  secrets: DirectorySecrets,
  message: GraphMailMessage & { from?: string },
  signal?: AbortSignal,
): Promise<void> {
  const { createGraphConnector } = await import('./index.ts');
  const c = createGraphConnector(config, secrets);
  try {
    await c.sendMail(message.from, message, signal);
  } finally {
    await c.close();
  }
}
