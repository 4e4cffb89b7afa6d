// What every write shares: errors in the admin's words, replace changes, the encryption a password
// needs, and the password encodings (Password Modify extended operation, AD unicodePwd).
import { Attribute, BerWriter, Change } from 'ldapts';
import { ConnectorError } from '../../connector.ts';
import type { LdapSession } from '../connection.ts';
import { toConnectorError } from '../errors.ts';
import type { LdapSettings } from '../settings.ts';

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

// Low-level helpers

export async function run<T>(session: LdapSession, action: string, dn: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toConnectorError(e, { action, dn, url: session.url });
  }
}

export function replace(attribute: string, values: Array<string | Buffer>): Change {
  return new Change({
    operation: 'replace',
    modification: new Attribute({ type: attribute, values: values as string[] }),
  });
}

export function requireTls(session: LdapSession, what: string): void {
  if (session.tls === 'none') {
    throw new ConnectorError(
      'tls_required',
      `${what} needs an encrypted connection: use an ldaps:// URL or switch on StartTLS for this directory.`,
      { details: { url: session.url }, transient: false },
    );
  }
}

/**
 * A password travels only over TLS. Active Directory refuses it anyway; other
 * servers would take it in clear, so that needs the admin's explicit
 * "allow passwords over an unencrypted connection" (a lab on this computer).
 */
export function requirePasswordTls(session: LdapSession, s: LdapSettings): void {
  if (s.isAd) return requireTls(session, 'Setting an Active Directory password');
  if (session.tls !== 'none' || s.conn.allowPlainPasswords) return;
  throw new ConnectorError(
    'tls_required',
    'Setting a password needs an encrypted connection, or anyone on the network could read it: use an ldaps:// URL or switch on StartTLS for this directory (or, for a test server on this computer only, allow passwords over an unencrypted connection).',
    { details: { url: session.url }, transient: false },
  );
}

/** BER of the Password Modify request (RFC 3062): SEQUENCE { [0] userIdentity, [2] newPasswd }. */
export function passwordModifyRequest(userDn: string, newPassword: string, oldPassword?: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeString(userDn, 0x80);
  if (oldPassword !== undefined) w.writeString(oldPassword, 0x81);
  w.writeString(newPassword, 0x82);
  w.endSequence();
  return w.buffer;
}

export function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

/** The LDAP result code behind a connector error, when the server sent one. */
export const resultCode = (err: ConnectorError) => (err.details as { resultCode?: number } | undefined)?.resultCode;
