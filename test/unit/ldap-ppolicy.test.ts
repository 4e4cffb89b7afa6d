// The password-policy response decoder (src-main/connectors/ldap/ppolicy.ts)
// on bytes captured from OpenLDAP 2.5 slapd with the ppolicy overlay (the
// response control values of real binds), and the errors it turns into.
import { BerReader, InvalidCredentialsError, PasswordPolicyControl, UnwillingToPerformError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import {
  decodePpolicyResponse,
  humanDuration,
  PasswordPolicyRequest,
  PpolicyDecodeError,
  ppolicyErrors,
} from '../../src-main/connectors/ldap/ppolicy.ts';
import { toConnectorError } from '../../src-main/connectors/ldap/errors.ts';

/** Control values slapd sent (hex), and what each bind was. */
const captured = {
  // Right password after pwdMaxFailure (2) wrong ones: invalidCredentials + accountLocked.
  accountLocked: '3003810101',
  // Right password, pwdMaxAge (2 s) passed, no grace logons: invalidCredentials + passwordExpired.
  passwordExpired: '3003810100',
  // Right password after an admin set pwdReset TRUE (pwdMustChange TRUE): bind succeeds + changeAfterReset.
  changeAfterReset: '3003810102',
  // Right password after expiry with pwdGraceAuthNLimit 3: bind succeeds + 2 grace logons left.
  grace: '3005a003810102',
  // A wrong password, and a good bind: an empty SEQUENCE.
  nothing: '3000',
};
const bytes = (hex: string) => Buffer.from(hex, 'hex');

describe('password-policy response decoding', () => {
  it('decodes the values slapd sent', () => {
    expect(decodePpolicyResponse(bytes(captured.accountLocked))).toEqual({ error: 1 });
    expect(decodePpolicyResponse(bytes(captured.passwordExpired))).toEqual({ error: 0 });
    expect(decodePpolicyResponse(bytes(captured.changeAfterReset))).toEqual({ error: 2 });
    expect(decodePpolicyResponse(bytes(captured.grace))).toEqual({ graceAuthNsRemaining: 2 });
    expect(decodePpolicyResponse(bytes(captured.nothing))).toEqual({});
    expect(ppolicyErrors[1]).toMatchObject({ name: 'accountLocked', code: 'account_locked' });
    expect(ppolicyErrors[0]).toMatchObject({ name: 'passwordExpired', code: 'password_expired' });
    expect(ppolicyErrors[2]).toMatchObject({ name: 'changeAfterReset', code: 'password_must_change' });
  });

  it('agrees with ldapts own PasswordPolicyControl on every captured value', () => {
    for (const hex of Object.values(captured)) {
      const theirs = new PasswordPolicyControl();
      theirs.parse(new BerReader(bytes(hex)));
      expect(decodePpolicyResponse(bytes(hex))).toEqual(theirs.value);
    }
  });

  it('reads a warning with a multi-byte integer, an error beside it, and long-form lengths', () => {
    // timeBeforeExpiration 86,400 s (0x015180): a0 05 80 03 01 51 80, then error 8.
    expect(decodePpolicyResponse(bytes('300aa0058003015180810108'))).toEqual({
      timeBeforeExpiration: 86_400,
      error: 8,
    });
    // The same with the SEQUENCE length in long form (81 0a).
    expect(decodePpolicyResponse(bytes('30810aa0058003015180810108'))).toEqual({
      timeBeforeExpiration: 86_400,
      error: 8,
    });
    // An element this decoder does not know is skipped.
    expect(decodePpolicyResponse(bytes('3006820100810101'))).toEqual({ error: 1 });
  });

  it('refuses malformed values instead of guessing', () => {
    for (const hex of [
      '',
      '04020000',
      '3003810201',
      '300381',
      '30038101',
      '3080810101',
      '3003810181',
      '3004a0028200',
    ]) {
      expect(() => decodePpolicyResponse(bytes(hex)), hex).toThrow(PpolicyDecodeError);
    }
  });

  it('the request control carries no value and captures the response, a strange one without breaking', () => {
    const c = new PasswordPolicyRequest();
    expect(c).toMatchObject({ type: '1.3.6.1.4.1.42.2.27.8.5.1', critical: false });
    c.parse(new BerReader(bytes(captured.accountLocked)));
    expect(c.response).toEqual({ error: 1 });
    expect(c.raw).toBe(captured.accountLocked);
    c.parse(new BerReader(bytes('ff')));
    expect(c.response).toBeUndefined();
  });
});

describe('errors named by the password policy', () => {
  const invalid = () => new InvalidCredentialsError('');
  it('a locked account, an expired password and a wrong one are three different things', () => {
    const locked = toConnectorError(invalid(), { action: 'bind', url: 'ldaps://h', ppolicy: { error: 1 } });
    expect(locked).toMatchObject({
      code: 'account_locked',
      transient: false,
      details: { resultCode: 49, ppolicyError: 'accountLocked' },
    });
    expect(locked.message).toBe(
      'The directory refused the bind account (ldaps://h): the account is locked (too many failed logons, or locked by an administrator) (password policy).',
    );
    expect(toConnectorError(invalid(), { action: 'bind', ppolicy: { error: 0 } }).code).toBe('password_expired');
    const wrong = toConnectorError(invalid(), { action: 'bind', url: 'ldaps://h', ppolicy: {} });
    expect(wrong.code).toBe('invalid_credentials');
    expect(wrong.message).toContain('the password is wrong');
    expect(wrong.message).not.toContain('locked');
    // No control came back (a server without ppolicy): the old, honest ambiguity.
    expect(toConnectorError(invalid(), { action: 'bind' }).message).toContain('or an account locked');
  });

  it("a password change refused by the policy says why; OpenLDAP's restricted session is 'must change'", () => {
    const short = toConnectorError(new UnwillingToPerformError('Password fails quality checking policy'), {
      action: 'set password',
      dn: 'uid=a',
      ppolicy: { error: 6 },
    });
    expect(short).toMatchObject({ code: 'password_policy' });
    expect(short.message).toBe(
      'Set password failed: the password is shorter than the policy allows (password policy).',
    );
    const restricted = toConnectorError(
      new UnwillingToPerformError('Operations are restricted to bind/unbind/abandon/StartTLS/modify password'),
      { action: 'search' },
    );
    expect(restricted.code).toBe('password_must_change');
  });

  it('says how long until a password expires in words', () => {
    expect(humanDuration(86_400 * 3 + 5)).toBe('3 days');
    expect(humanDuration(3_600)).toBe('1 hour');
    expect(humanDuration(150)).toBe('2 minutes');
    expect(humanDuration(1)).toBe('1 second');
  });
});
