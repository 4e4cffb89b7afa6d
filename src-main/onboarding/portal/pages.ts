// The reset portal's HTML. Every value is escaped; no inline script or
// style (the CSP forbids both); the policy rides in data- attributes.
import type { PasswordPolicy } from '../../../src-preload/contract/onboarding.ts';
import { escapeHtml } from '../../http/html.ts';

export interface FormPage {
  token: string;
  csrf: string;
  userName: string;
  displayName: string;
  policy: PasswordPolicy;
  /** Problems from the server: policy, mismatch, the directory's own refusal. */
  errors?: { title: string; items: string[] };
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/portal.css">
</head>
<body>
<main>
${body}
<footer>Provision Desk password portal</footer>
</main>
</body>
</html>
`;
}

export function formPage(p: FormPage): string {
  const e = escapeHtml;
  const rules = [
    `<li data-rule="length">At least ${p.policy.minLength} characters</li>`,
    p.policy.minClasses > 0
      ? `<li data-rule="classes">At least ${p.policy.minClasses} of: lower-case letters, upper-case letters, digits, other characters</li>`
      : '',
    p.policy.forbidUserName ? '<li data-rule="name">Does not contain your user name or your name</li>' : '',
    '<li data-rule="match">Both entries are the same</li>',
  ].join('');
  const serverErrors = p.errors
    ? `<div class="errors" role="alert" id="server-errors"><p>${e(p.errors.title)}</p><ul>${p.errors.items
        .map((i) => `<li>${e(i)}</li>`)
        .join('')}</ul></div>`
    : '';
  return layout(
    'Choose your password',
    `<h1>Choose your password</h1>
<p>This sets the password of this account:</p>
<div class="who"><span class="name" id="who-name">${e(p.displayName || p.userName)}</span><span class="user" id="who-user">${e(p.userName)}</span></div>
${serverErrors}
<div class="errors hidden" role="alert" id="client-errors"></div>
<form method="post" action="/reset" id="reset-form" autocomplete="off" novalidate
 data-min-length="${p.policy.minLength}" data-min-classes="${p.policy.minClasses}" data-forbid-user-name="${p.policy.forbidUserName}"
 data-user-name="${e(p.userName)}" data-display-name="${e(p.displayName)}">
<input type="hidden" name="t" value="${e(p.token)}">
<input type="hidden" name="csrf" value="${e(p.csrf)}">
<input type="text" name="username" value="${e(p.userName)}" autocomplete="username" class="hidden" readonly tabindex="-1" aria-hidden="true">
<label for="password">New password</label>
<input type="password" id="password" name="password" autocomplete="new-password" required maxlength="256" autofocus>
<label for="confirm">Type it again</label>
<input type="password" id="confirm" name="confirm" autocomplete="new-password" required maxlength="256">
<ul class="rules" id="rules" aria-live="polite">${rules}</ul>
<button type="submit">Set my password</button>
</form>
<script src="/assets/reset.js"></script>`,
  );
}

/** One answer for unknown, used and expired links: nothing tells them apart. */
export function invalidLinkPage(): string {
  return layout(
    'This link cannot be used',
    `<h1>This link cannot be used</h1>
<p>The link may have been used already, it may have expired, or a newer mail may have replaced it.</p>
<p>Ask your IT service desk to send you a new one.</p>`,
  );
}

export function donePage(directories: number): string {
  return layout(
    'Your password is set',
    `<h1>Your password is set</h1>
<div class="done" role="status" id="done">Your new password works now${directories > 1 ? ' in every system linked to your account' : ''}. You can close this page and sign in.</div>`,
  );
}

/** The password is set but the account is not usable yet; the page is public, so it names no system. */
export function notYetPage(): string {
  return layout(
    'Your password is set',
    `<h1>Your password is set</h1>
<div class="pending" role="status" id="not-yet">Your password is saved, but your account cannot be used to sign in yet. Your IT service desk has been told; you do not need to set the password again.</div>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
