// Each certificate problem gets its own advice, with the certificate's subject, names and dates.
import { describe, expect, it } from 'vitest';
import {
  certificateAdvice,
  certificateNames,
  certificateProblem,
  type ProbedCertificate,
} from '../../src-main/connectors/ldap/certificate-advice.ts';

const cert = (over: Partial<ProbedCertificate> = {}): ProbedCertificate => ({
  subject: 'CN=dc1.corp.test',
  issuer: 'CN=Corp Issuing CA',
  validFrom: 'Jan  1 00:00:00 2025 GMT',
  validTo: 'Jan  1 00:00:00 2026 GMT',
  fingerprint256: 'AA:BB',
  names: ['dc1.corp.test'],
  nameMatches: true,
  selfSigned: false,
  ...over,
});
const URL = 'ldaps://10.0.0.5:636';

describe('certificate advice', () => {
  it('reads the names from the subjectAltName, or the CN when there is none', () => {
    expect(certificateNames('DNS:dc1.corp.test, IP Address:10.0.0.5', 'CN=x')).toEqual(['dc1.corp.test', '10.0.0.5']);
    expect(certificateNames(undefined, 'O=Corp, CN=dc1.corp.test')).toEqual(['dc1.corp.test']);
  });

  it('tells the four problems apart from the TLS code and the certificate', () => {
    expect(certificateProblem('ERR_TLS_CERT_ALTNAME_INVALID', cert())).toBe('name_mismatch');
    expect(certificateProblem('DEPTH_ZERO_SELF_SIGNED_CERT', cert())).toBe('self_signed');
    expect(certificateProblem('UNABLE_TO_VERIFY_LEAF_SIGNATURE', cert({ selfSigned: true }))).toBe('self_signed');
    expect(certificateProblem('UNABLE_TO_VERIFY_LEAF_SIGNATURE', cert())).toBe('untrusted_issuer');
    expect(certificateProblem('CERT_HAS_EXPIRED', cert())).toBe('expired');
    expect(certificateProblem('CERT_NOT_YET_VALID', cert())).toBe('not_yet_valid');
  });

  it('gives each its own advice', () => {
    const mismatch = certificateAdvice('name_mismatch', cert({ nameMatches: false }), '10.0.0.5', URL);
    expect(mismatch.code).toBe('certificate_name_mismatch');
    expect(mismatch.message).toBe(
      'The server\'s certificate is issued for dc1.corp.test, not for "10.0.0.5" (ldaps://10.0.0.5:636) ' +
        '(subject CN=dc1.corp.test; for dc1.corp.test; valid 2025-01-01 to 2026-01-01).',
    );
    expect(mismatch.hint).toContain('ldaps://dc1.corp.test:636');

    const self = certificateAdvice(
      'self_signed',
      cert({ issuer: 'CN=dc1.corp.test', selfSigned: true }),
      'dc1.corp.test',
      URL,
    );
    expect(self.code).toBe('certificate_self_signed');
    expect(self.hint).toMatch(/that certificate itself/);

    const expired = certificateAdvice('expired', cert(), 'dc1.corp.test', URL);
    expect(expired.message).toContain('expired on 2026-01-01');
    expect(expired.hint).toMatch(/Renew/);

    const early = certificateAdvice('not_yet_valid', cert(), 'dc1.corp.test', URL);
    expect(early.message).toContain('only from 2025-01-01');
    expect(early.hint).toMatch(/clock/);

    const untrusted = certificateAdvice('untrusted_issuer', cert(), 'dc1.corp.test', URL);
    expect(untrusted.message).toContain('issued by CN=Corp Issuing CA, which this computer does not trust');
    expect(untrusted.hint).toContain('"Trusted CA certificate (PEM)"');
  });
});
