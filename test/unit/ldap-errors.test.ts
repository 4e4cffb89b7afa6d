import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConfidentialityRequiredError,
  ConstraintViolationError,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchAttributeError,
  NoSuchObjectError,
  SizeLimitExceededError,
  StrongAuthRequiredError,
  TypeOrValueExistsError,
  UnavailableError,
} from 'ldapts';
import { ConnectorError } from '../../src-main/connectors/connector.ts';
import { adDataCode, toConnectorError } from '../../src-main/connectors/ldap/errors.ts';
import { FilterSyntaxError } from '../../src-main/connectors/ldap/filter.ts';

const adBind = (data: string) =>
  new InvalidCredentialsError(
    `80090308: LdapErr: DSID-0C09030B, comment: AcceptSecurityContext error, data ${data}, v893\u0000`,
  );

describe('LDAP errors for the admin', () => {
  it('decodes AD bind data codes', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['525', 'invalid_credentials', /does not exist/],
      ['52e', 'invalid_credentials', /user name or password is wrong/],
      ['530', 'invalid_credentials', /logon hours/],
      ['531', 'invalid_credentials', /workstation/],
      ['532', 'password_expired', /expired/],
      ['533', 'account_disabled', /disabled/],
      ['701', 'account_expired', /account has expired/],
      ['773', 'password_must_change', /must be changed/],
      ['775', 'account_locked', /locked/],
    ];
    for (const [data, code, sentence] of cases) {
      const e = toConnectorError(adBind(data), { url: 'ldaps://dc:636', action: 'bind' });
      expect(e).toBeInstanceOf(ConnectorError);
      expect(e.code, data).toBe(code);
      expect(e.message).toMatch(sentence);
      expect(e.message).toContain(`AD data code ${data}`);
      expect(e.details).toMatchObject({
        adDataCode: data,
        resultCode: 49,
        serverMessage: expect.stringContaining(`data ${data}`),
      });
      expect(e.transient).toBe(false);
    }
    expect(adDataCode('... data 0000052e, v4563')).toBe('52e');
  });

  it('plain invalid credentials (OpenLDAP) keep the server message in details', () => {
    const e = toConnectorError(new InvalidCredentialsError(''), { url: 'ldap://x' });
    expect(e.code).toBe('invalid_credentials');
    expect(e.message).toMatch(/invalid credentials/);
  });

  it('maps result codes', () => {
    expect(toConnectorError(new StrongAuthRequiredError('BindSimple: Transport encryption required.')).code).toBe(
      'tls_required',
    );
    expect(toConnectorError(new ConfidentialityRequiredError('x')).code).toBe('tls_required');
    expect(toConnectorError(new NoSuchObjectError('x'), { base: 'ou=missing,dc=x' }).code).toBe('base_not_found');
    expect(toConnectorError(new NoSuchObjectError('x')).code).toBe('not_found');
    expect(toConnectorError(new SizeLimitExceededError('x')).code).toBe('size_limit');
    expect(toConnectorError(new SizeLimitExceededError('x')).message).toMatch(/size limit.*incomplete/);
    expect(toConnectorError(new InsufficientAccessError('x')).code).toBe('permission_missing');
    expect(toConnectorError(new AlreadyExistsError('x')).code).toBe('already_exists');
    expect(toConnectorError(new TypeOrValueExistsError('x')).code).toBe('already_exists');
    expect(toConnectorError(new NoSuchAttributeError('x')).code).toBe('not_found');
    const busy = toConnectorError(new UnavailableError('x'));
    expect(busy.code).toBe('busy');
    expect(busy.transient).toBe(true);
    expect(
      toConnectorError(
        new ConstraintViolationError(
          '0000052D: Constraint violation - check_password_restrictions: the password is too short',
        ),
      ).code,
    ).toBe('password_policy');
    expect(toConnectorError(new ConstraintViolationError('unique')).code).toBe('constraint');
  });

  it('maps sockets, timeouts and TLS', () => {
    const refused = toConnectorError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      { url: 'ldap://127.0.0.1:1' },
    );
    expect(refused.code).toBe('unreachable');
    expect(refused.transient).toBe(true);
    expect(refused.message).toContain('ldap://127.0.0.1:1');
    expect(toConnectorError(new Error('Connection timeout')).code).toBe('timeout');
    expect(toConnectorError(new Error('BindRequest: Operation timed out')).code).toBe('timeout');
    const cert = toConnectorError(
      Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    );
    expect(cert.code).toBe('certificate_untrusted');
    expect(cert.transient).toBe(false);
    expect(
      toConnectorError(Object.assign(new Error('Hostname/IP does not match'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }))
        .code,
    ).toBe('certificate_untrusted');
    expect(
      toConnectorError(Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' })).code,
    ).toBe('certificate_expired');
    expect(toConnectorError(new FilterSyntaxError('bad')).code).toBe('filter_invalid');
  });

  it('returns ConnectorErrors unchanged', () => {
    const e = new ConnectorError('timeout', 'x');
    expect(toConnectorError(e)).toBe(e);
  });
});
