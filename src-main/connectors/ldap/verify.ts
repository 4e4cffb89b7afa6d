// Verify Credentials: connect (each URL in order), bind, read the rootDSE,
// check the base DN and search bases, count users and groups in scope. Every
// step is reported; the first failure is named precisely (unreachable,
// timeout, TLS required, certificate not trusted and which, invalid
// credentials with AD's data code decoded, base DN not found, filter invalid).
// Generic LDAP binds with the password-policy control (ppolicy.ts), so a
// locked account, an expired password and one that must be changed are told
// apart from a wrong password, and a password about to expire is a warning.
import type { VerifyResult, VerifyStep } from '../../../src-preload/contract/directories.ts';
import { ConnectorError } from '../connector.ts';
import { accountLockSupport } from './account-lock.ts';
import { openSession, type LdapSession } from './connection.ts';
import { toConnectorError } from './errors.ts';
import { parseFilter } from './filter.ts';
import { attrMap, first, values } from './mapping.ts';
import { PasswordPolicyRequest, humanDuration, ppolicyErrors } from './ppolicy.ts';
import { countEntries, readEntry } from './read.ts';
import type { LdapSettings } from './settings.ts';

/** Names of controls admins and this connector care about. */
export const controlNames: Record<string, string> = {
  '1.2.840.113556.1.4.319': 'Paged results',
  '1.2.840.113556.1.4.417': 'Show deleted',
  '1.2.840.113556.1.4.841': 'DirSync',
  '1.2.840.113556.1.4.473': 'Server-side sort',
  '1.2.840.113556.1.4.528': 'Notification',
  '1.2.840.113556.1.4.1413': 'Permissive modify',
  '1.2.840.113556.1.4.2064': 'Show recycled',
  '1.2.840.113556.1.4.2065': 'Show deactivated link',
  '1.2.840.113556.1.4.1339': 'Domain scope',
  '1.2.840.113556.1.4.529': 'Extended DN',
  '1.2.840.113556.1.4.801': 'SD flags',
  '1.3.6.1.4.1.4203.1.9.1.1': 'Sync request (syncrepl)',
  '1.3.6.1.4.1.4203.1.10.1': 'Subentries',
  '1.3.6.1.4.1.4203.666.5.12': 'Relax rules',
  '1.3.6.1.1.12': 'Assertion',
  '1.3.6.1.1.13.1': 'Pre-read',
  '1.3.6.1.1.13.2': 'Post-read',
  '1.3.6.1.1.22': "Don't use copy",
  '2.16.840.1.113730.3.4.2': 'ManageDsaIT',
  '2.16.840.1.113730.3.4.18': 'Proxied authorization',
  '1.3.6.1.4.1.42.2.27.8.5.1': 'Password policy',
  '1.2.826.0.1.3344810.2.3': 'Matched values',
};

const ROOT_DSE_ATTRS = [
  'namingContexts',
  'defaultNamingContext',
  'rootDomainNamingContext',
  'configurationNamingContext',
  'supportedControl',
  'supportedExtension',
  'supportedLDAPVersion',
  'supportedSASLMechanisms',
  'supportedCapabilities',
  'vendorName',
  'vendorVersion',
  'dnsHostName',
  'serverName',
  'domainFunctionality',
  'forestFunctionality',
  'domainControllerFunctionality',
  'highestCommittedUSN',
  'isSynchronized',
  'objectClass',
  'structuralObjectClass',
];

export function serverKindOf(m: Map<string, string[]>): string {
  const caps = values(m, 'supportedCapabilities');
  const vendor = first(m, 'vendorName') ?? '';
  const classes = [...values(m, 'objectClass'), ...values(m, 'structuralObjectClass')].map((c) => c.toLowerCase());
  if (caps.includes('1.2.840.113556.1.4.800') || first(m, 'domainControllerFunctionality') !== undefined) {
    return /samba/i.test(vendor) ? 'Samba Active Directory domain controller' : 'Active Directory domain controller';
  }
  if (caps.includes('1.2.840.113556.1.4.1851')) return 'Active Directory Lightweight Directory Services';
  if (classes.includes('openldaprootdse')) return 'OpenLDAP';
  if (/389|fedora|red hat/i.test(vendor)) return '389 Directory Server';
  if (vendor) return `${vendor}${first(m, 'vendorVersion') ? ` ${first(m, 'vendorVersion')}` : ''}`;
  return 'LDAP server';
}

export async function verify(
  s: LdapSettings,
  password: string | undefined,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const steps: VerifyStep[] = [];
  const facts: VerifyResult['facts'] = {};
  const warnings: string[] = [];
  let session: LdapSession | undefined;

  if (!s.conn.verifyCertificate) {
    warnings.push(
      "Certificate checking is switched off: the connection is encrypted but the server's identity is not verified.",
    );
  }
  const plain = s.conn.urls.filter((u) => u.toLowerCase().startsWith('ldap://'));
  if (plain.length > 0 && !s.conn.startTls) {
    warnings.push(`The bind password is sent unencrypted to ${plain.join(', ')}: use ldaps:// or switch on StartTLS.`);
  }

  const fail = (err: unknown, step: string): VerifyResult => {
    const e = toConnectorError(err);
    steps.push({ name: step, ok: false, detail: e.message });
    return {
      ok: false,
      error: { code: e.code, message: e.message, details: e.details, hint: hintFor(e) },
      steps,
      facts,
      warnings,
    };
  };

  // Filters are checked before anything is sent.
  for (const [what, f] of [
    ['user filter', s.userFilter],
    ['group filter', s.groupFilter],
  ] as const) {
    try {
      parseFilter(f);
    } catch (e) {
      return fail(
        new ConnectorError('filter_invalid', `The ${what} is not valid: ${(e as Error).message}`, {
          details: { filter: f },
        }),
        'Check filters',
      );
    }
  }

  try {
    // Connected here, bound below: the bind carries the password-policy control.
    session = await openSession(s, password, {
      signal,
      anonymous: true,
      onAttempt: (url, err) => {
        if (err) steps.push({ name: `Connect to ${url}`, ok: false, detail: err.message });
      },
    });
  } catch (e) {
    const err = toConnectorError(e);
    // The per-URL step is already there; add the summary.
    return fail(
      err,
      err.code.startsWith('invalid') || err.code.startsWith('account') || err.code.startsWith('password')
        ? 'Bind'
        : 'Connect and bind',
    );
  }
  try {
    const bound = await bindWithPolicy(s, session, password);
    if (bound.warning) warnings.push(bound.warning);
  } catch (e) {
    await session.close();
    return fail(e, 'Bind');
  }
  try {
    facts.server = session.url;
    facts.tls = session.tls === 'ldaps' ? 'LDAPS' : session.tls === 'starttls' ? 'StartTLS' : 'none';
    if (session.tlsInfo) {
      facts.tlsProtocol = session.tlsInfo.protocol ?? '';
      facts.tlsCipher = session.tlsInfo.cipher;
      facts.certificateVerified = s.conn.verifyCertificate && session.tlsInfo.authorized;
      if (session.tlsInfo.peerSubject) facts.certificateSubject = session.tlsInfo.peerSubject;
    }
    steps.push({
      name: 'Connect and bind',
      ok: true,
      detail: `Bound as ${s.conn.bindDn} on ${session.url} (${facts.tls === 'none' ? 'not encrypted' : `encrypted: ${facts.tls}${facts.tlsProtocol ? `, ${facts.tlsProtocol}` : ''}`}).`,
    });

    const root = await readEntry(session, '', ROOT_DSE_ATTRS);
    const m = root ? attrMap(root) : new Map<string, string[]>();
    const kind = serverKindOf(m);
    facts.serverKind = kind;
    facts.namingContexts = values(m, 'namingContexts');
    const dnc = first(m, 'defaultNamingContext');
    if (dnc) facts.defaultNamingContext = dnc;
    if (first(m, 'dnsHostName')) facts.dnsHostName = first(m, 'dnsHostName') as string;
    if (first(m, 'vendorName'))
      facts.vendor = `${first(m, 'vendorName')}${first(m, 'vendorVersion') ? ` ${first(m, 'vendorVersion')}` : ''}`;
    const controls = [...new Set(values(m, 'supportedControl'))];
    facts.supportedControls = controls.map((oid) => (controlNames[oid] ? `${controlNames[oid]} (${oid})` : oid));
    facts.pagedResults = controls.includes('1.2.840.113556.1.4.319');
    const exts = values(m, 'supportedExtension');
    if (exts.length > 0) facts.supportedExtensions = exts;
    facts.passwordModify = exts.includes('1.3.6.1.4.1.4203.1.11.1');
    steps.push({
      name: 'Read the rootDSE',
      ok: true,
      detail: `${kind}; naming contexts: ${facts.namingContexts.join('; ') || 'none listed'}.`,
    });

    const isAdServer = /Active Directory/.test(kind);
    if (s.isAd && !isAdServer)
      warnings.push(`This directory is set up as Active Directory, but the server looks like ${kind}.`);
    if (!s.isAd && isAdServer)
      warnings.push(
        `This directory is set up as generic LDAP, but the server is an ${kind}: choose the Active Directory kind.`,
      );
    if (!facts.pagedResults)
      warnings.push(
        'The server does not announce the paged results control: large listings may be cut by its size limit.',
      );
    if (s.isAd && session.tls === 'none')
      warnings.push(
        'Passwords cannot be set over this connection: Active Directory accepts them only over LDAPS or StartTLS.',
      );
    if (!s.isAd && !facts.passwordModify)
      warnings.push('The server does not announce the Password Modify operation: setting passwords will fail.');

    // Base DN and search bases.
    for (const [what, dn] of [
      ['Base DN', s.baseDn],
      ['User search base', s.userBase],
      ['Group search base', s.groupBase],
    ] as const) {
      if (what !== 'Base DN' && dn === s.baseDn) continue;
      const e = await readEntry(session, dn, ['1.1']);
      if (!e) {
        const err = new ConnectorError(
          'base_not_found',
          `The ${what.toLowerCase()} "${dn}" does not exist on the server (${session.url}).`,
          {
            details: { base: dn, namingContexts: facts.namingContexts },
          },
        );
        return fail(err, `Find the ${what.toLowerCase()}`);
      }
      steps.push({ name: `Find the ${what.toLowerCase()}`, ok: true, detail: dn });
    }

    // Counts in scope.
    try {
      facts.userCount = await countEntries(session, {
        base: s.userBase,
        scope: s.scope,
        filter: s.userFilter,
        pageSize: s.pageSize,
        signal,
        baseIsConfig: true,
      });
      steps.push({
        name: 'Count users in scope',
        ok: true,
        detail: `${facts.userCount} users under ${s.userBase} with ${s.userFilter}.`,
      });
      facts.groupCount = await countEntries(session, {
        base: s.groupBase,
        scope: s.scope,
        filter: s.groupFilter,
        pageSize: s.pageSize,
        signal,
        baseIsConfig: true,
      });
      steps.push({
        name: 'Count groups in scope',
        ok: true,
        detail: `${facts.groupCount} groups under ${s.groupBase} with ${s.groupFilter}.`,
      });
    } catch (e) {
      return fail(e, 'Count users and groups in scope');
    }
    if (facts.userCount === 0) warnings.push('No user is in scope: check the search base and filter.');
    // Whether "disabled" can be written here: said before any disabled user is created or disabled.
    const lock = await accountLockSupport(session, s);
    facts.disabledAccounts = lock.line;
    if (lock.canHold !== undefined) facts.canHoldDisabled = lock.canHold;
    steps.push({ name: 'Check that accounts can be disabled', ok: lock.canHold !== false, detail: lock.line });
    if (lock.canHold === false) warnings.push(lock.line);
    return { ok: true, steps, facts, warnings };
  } catch (e) {
    return fail(e, 'Read the directory');
  } finally {
    await session?.close();
  }
}

/**
 * Binds the verify session as the configured account. Generic LDAP sends the
 * password-policy request control: its answer names a locked account, an
 * expired password or a reset one that must be changed (which OpenLDAP lets
 * bind, restricted to changing it), and warns of a password about to expire.
 * Active Directory says the same through its bind data codes (errors.ts).
 */
export async function bindWithPolicy(
  s: LdapSettings,
  session: LdapSession,
  password: string | undefined,
): Promise<{ warning?: string }> {
  if (!password) {
    throw new ConnectorError(
      'invalid_credentials',
      'No bind password is stored for this directory: enter it and save.',
      {
        details: { url: session.url, action: 'bind' },
        transient: false,
      },
    );
  }
  const policy = s.isAd ? undefined : new PasswordPolicyRequest();
  try {
    await session.client.bind(s.conn.bindDn, password, policy ? [policy] : undefined);
  } catch (e) {
    throw toConnectorError(e, { action: 'bind', url: session.url, ppolicy: policy?.response });
  }
  const r = policy?.response;
  if (r?.error !== undefined && ppolicyErrors[r.error]) {
    const p = ppolicyErrors[r.error]!;
    throw new ConnectorError(
      p.code,
      `The directory accepted the bind account but restricts it (${session.url}): ${p.meaning} (password policy).`,
      {
        details: { url: session.url, action: 'bind', ppolicyError: p.name, raw: policy?.raw },
        transient: false,
      },
    );
  }
  if (r?.timeBeforeExpiration !== undefined)
    return {
      warning: `The bind account's password expires in ${humanDuration(r.timeBeforeExpiration)}: change it in the directory and here before then.`,
    };
  if (r?.graceAuthNsRemaining !== undefined)
    return {
      warning: `The bind account's password has expired: ${r.graceAuthNsRemaining} more logon${r.graceAuthNsRemaining === 1 ? '' : 's'} (grace) before it is refused. Change it now.`,
    };
  return {};
}

function hintFor(e: ConnectorError): string | undefined {
  // A certificate problem carries advice fitted to what exactly is wrong with it.
  const advice = (e.details as { advice?: unknown } | undefined)?.advice;
  if (typeof advice === 'string') return advice;
  switch (e.code) {
    case 'unreachable':
      return 'Check the host name and port, and that a firewall lets this computer reach the server.';
    case 'timeout':
      return 'The server accepted the connection but did not answer in time: check the port (LDAP vs LDAPS) and the timeouts.';
    case 'tls_required':
      return 'Use ldaps://host:636, or ldap://host:389 with StartTLS switched on.';
    case 'certificate_untrusted':
      return 'Paste the PEM of the CA that issued the server certificate into "Trusted CA certificate (PEM)".';
    case 'invalid_credentials':
      return 'Check the bind DN (or user@domain for Active Directory) and the password.';
    case 'base_not_found':
      return 'Copy the DN from the naming contexts the server lists.';
    case 'filter_invalid':
      return 'An LDAP filter looks like (attribute=value); combine with (&…) and (|…).';
    case 'account_locked':
    case 'account_disabled':
    case 'password_expired':
    case 'password_must_change':
    case 'account_expired':
      return 'Fix the bind account in the directory, or use another one.';
    default:
      return undefined;
  }
}
