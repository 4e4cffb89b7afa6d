// Mail templates with {placeholders}. Values are HTML-escaped in the HTML
// part, kept as they are in the text part, and stripped of line breaks in
// the subject (no header injection).
import type { MailTemplate } from '../../src-preload/contract/onboarding.ts';
import { escapeHtml } from '../http/html.ts';

export { escapeHtml };

export type TemplateKind = 'activation' | 'temporaryPassword';

export const defaultTemplates: Record<TemplateKind, MailTemplate> = {
  activation: {
    subject: 'Activate your account {userName}',
    html: `<!doctype html>
<html><body style="font-family: Segoe UI, Arial, sans-serif; font-size: 14px; color: #242424;">
<p>Hello {displayName},</p>
<p>An account has been created for you: <strong>{userName}</strong>.</p>
<p>To start using it, choose your password:</p>
<p><a href="{link}" style="display: inline-block; padding: 10px 18px; background: #0f6cbd; color: #ffffff; text-decoration: none; border-radius: 4px;">Choose my password</a></p>
<p>Or open this address in your browser:<br><a href="{link}">{link}</a></p>
<p>The link works once and expires on {expiry}.</p>
<p>If you did not expect this mail, ignore it or tell your IT service desk.</p>
</body></html>`,
    text: `Hello {displayName},

An account has been created for you: {userName}.

To start using it, open this address in your browser and choose your password:

{link}

The link works once and expires on {expiry}.

If you did not expect this mail, ignore it or tell your IT service desk.
`,
  },
  temporaryPassword: {
    subject: 'Your account {userName}',
    html: `<!doctype html>
<html><body style="font-family: Segoe UI, Arial, sans-serif; font-size: 14px; color: #242424;">
<p>Hello {displayName},</p>
<p>An account has been created for you: <strong>{userName}</strong>.</p>
<p>Your temporary password is: <code style="font-size: 16px;">{password}</code></p>
<p>You will be asked to choose a new password the first time you sign in.</p>
</body></html>`,
    text: `Hello {displayName},

An account has been created for you: {userName}.

Your temporary password is: {password}

You will be asked to choose a new password the first time you sign in.
`,
  },
};

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
  unknownPlaceholders: string[];
}

/** Fills the template; unknown placeholders are left as written and listed. */
export function renderTemplate(template: MailTemplate, values: Record<string, string>): RenderedMail {
  const unknown = new Set<string>();
  const fill = (src: string, encode: (v: string) => string) =>
    src.replace(PLACEHOLDER, (whole, name: string) => {
      if (!Object.hasOwn(values, name)) {
        unknown.add(name);
        return whole;
      }
      return encode(values[name]!);
    });
  return {
    subject: fill(template.subject, (v) => v)
      .replace(/[\r\n]+/g, ' ')
      .trim(),
    html: fill(template.html, escapeHtml),
    text: fill(template.text, (v) => v),
    unknownPlaceholders: [...unknown],
  };
}

/** How the expiry reads in a mail: "1 December 2025 at 14:00 UTC". */
export function formatExpiry(at: Date, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(at);
}

export const sampleValues: Record<TemplateKind, Record<string, string>> = {
  activation: {
    displayName: 'Ada Lovelace',
    userName: 'ada.lovelace',
    link: 'https://reset.example.com:8443/reset?t=EXAMPLE-ONLY',
    expiry: formatExpiry(new Date(Date.now() + 72 * 3600_000)),
  },
  temporaryPassword: { displayName: 'Ada Lovelace', userName: 'ada.lovelace', password: 'Example-Only-7x' },
};
