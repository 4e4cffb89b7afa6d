// Tokens, templates and the password policy (server and page agree).
import { describe, expect, it } from 'vitest';
import { runInNewContext } from 'node:vm';
import { randomInt } from 'node:crypto';
import { hashToken, issueToken, looksLikeToken, TOKEN_BYTES } from '../../src-main/onboarding/tokens.ts';
import { defaultTemplates, escapeHtml, renderTemplate } from '../../src-main/onboarding/templates.ts';
import { checkPassword, forbiddenParts, generateTemporaryPassword } from '../../src-main/onboarding/policy.ts';
import { POLICY_JS } from '../../src-main/onboarding/portal/assets.ts';
import { passwordPolicySchema } from '../../src-preload/contract/onboarding.ts';

describe('activation tokens', () => {
  it('carry at least 128 bits, are unique, and only their SHA-256 is kept', () => {
    expect(TOKEN_BYTES * 8).toBeGreaterThanOrEqual(128);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const { token, hash } = issueToken();
      expect(Buffer.from(token, 'base64url').length).toBe(TOKEN_BYTES);
      expect(looksLikeToken(token)).toBe(true);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(hashToken(token));
      expect(hash).not.toContain(token);
      seen.add(token);
    }
    expect(seen.size).toBe(1000);
  });

  it('rejects things that are not tokens before any lookup', () => {
    for (const bad of ['', 'abc', 'a'.repeat(44), `${'a'.repeat(42)}!`, undefined, 42])
      expect(looksLikeToken(bad)).toBe(false);
  });
});

describe('mail templates', () => {
  const values = {
    displayName: '<img src=x onerror=alert(1)> "Bob" & Co',
    userName: 'bob',
    link: 'https://portal.example:8443/reset?t=abc_DEF-123',
    expiry: '1 December 2026 at 14:00 UTC',
  };

  it('escapes every placeholder value in the HTML part and nowhere else', () => {
    const m = renderTemplate(defaultTemplates.activation, values);
    expect(m.html).not.toContain('<img');
    expect(m.html).toContain('&#60;img src&#61;x onerror&#61;alert(1)&#62; &#34;Bob&#34; &#38; Co');
    expect(m.html).toContain('href="https://portal.example:8443/reset?t&#61;abc_DEF-123"');
    expect(m.text).toContain(values.displayName);
    expect(m.text).toContain(values.link);
    expect(m.text).toContain(values.expiry);
    expect(m.subject).toBe('Activate your account bob');
    expect(m.unknownPlaceholders).toEqual([]);
  });

  it('keeps line breaks out of the subject and lists unknown placeholders', () => {
    const m = renderTemplate(
      { subject: 'Hi {userName}', html: '<p>{nope}</p>', text: '{displayName}' },
      { ...values, userName: 'a\r\nBcc: x@y' },
    );
    expect(m.subject).toBe('Hi a Bcc: x@y');
    expect(m.html).toBe('<p>{nope}</p>');
    expect(m.unknownPlaceholders).toEqual(['nope']);
  });

  it('escapes the characters that matter in HTML', () => {
    expect(escapeHtml(`<>&"'\`=`)).toBe('&#60;&#62;&#38;&#34;&#39;&#96;&#61;');
  });
});

describe('password policy', () => {
  const policy = passwordPolicySchema.parse({ minLength: 10, minClasses: 3, forbidUserName: true });
  const subject = { userName: 'jdoe@example.com', displayName: 'Jane Doe-Smith' };
  const page = runInNewContext(`${POLICY_JS}; ({ checkPassword, forbiddenParts })`) as {
    checkPassword: typeof checkPassword;
    forbiddenParts: typeof forbiddenParts;
  };

  const samples = [
    'short1A!',
    'alllowercaseletters',
    'NoDigitsButLong!',
    'Has3Classes0k',
    'contains-JDOE-99X',
    'my.smith.Pass1',
    'Correct-Horse-7',
    'x'.repeat(300),
    'Ünïcödé-Päss-77',
    'jdo-Ok-Pass-1',
  ];

  it('says which rules a password breaks', () => {
    expect(checkPassword('short1A!', policy, subject)).toEqual(['Use at least 10 characters.']);
    expect(checkPassword('alllowercaseletters', policy, subject)).toHaveLength(1);
    expect(checkPassword('contains-JDOE-99X', policy, subject)).toEqual([
      'Do not use your user name or your name in the password.',
    ]);
    expect(checkPassword('my.smith.Pass1', policy, subject)).toEqual([
      'Do not use your user name or your name in the password.',
    ]);
    expect(checkPassword('Correct-Horse-7', policy, subject)).toEqual([]);
    expect(checkPassword('jdo-Ok-Pass-1', policy, subject)).toEqual([]);
    expect(forbiddenParts(subject)).toEqual(['jdoe@example.com', 'jdoe', 'jane', 'doe', 'smith']);
  });

  it('runs the same way in the reset page as on the server', () => {
    for (const p of samples) {
      expect(page.checkPassword(p, policy, subject)).toEqual(checkPassword(p, policy, subject));
    }
    expect(page.forbiddenParts(subject)).toEqual(forbiddenParts(subject));
    for (let i = 0; i < 200; i++) {
      const p = generateTemporaryPassword(policy, subject, randomInt).slice(0, randomInt(4, 20));
      expect(page.checkPassword(p, policy, subject)).toEqual(checkPassword(p, policy, subject));
    }
  });

  it('generates temporary passwords that pass it', () => {
    for (let i = 0; i < 200; i++) {
      const p = generateTemporaryPassword(policy, subject, randomInt);
      expect(p.length).toBeGreaterThanOrEqual(16);
      expect(checkPassword(p, policy, subject)).toEqual([]);
    }
  });
});
