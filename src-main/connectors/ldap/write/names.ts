// DNs and account names of the entries the app writes: RDNs from the admin's templates, AD's
// sAMAccountName rules.
import type { RemoteUserData } from '../../connector.ts';
import { ConnectorError } from '../../connector.ts';
import { getPath } from '../../../mapping/model-paths.ts';
import { escapeDnValue } from '../escape.ts';
import type { LdapSettings } from '../settings.ts';

// Names

/** Characters Active Directory refuses in sAMAccountName. */
export const SAM_FORBIDDEN = '"/\\[]:;|=,+*?<>';
export const SAM_MAX = 20;

/** Refuses a user logon name AD would reject, with the reason in the admin's words. */
export function checkSamAccountName(name: string): void {
  const bad = [...new Set([...name].filter((c) => SAM_FORBIDDEN.includes(c) || c.charCodeAt(0) < 0x20))];
  const problems: string[] = [];
  if ([...name].length > SAM_MAX)
    problems.push(`it is ${[...name].length} characters long and at most ${SAM_MAX} are allowed`);
  if (bad.length > 0)
    problems.push(
      `it contains characters Active Directory does not allow: ${bad.map((c) => (c < ' ' ? `\\x${c.charCodeAt(0).toString(16)}` : c)).join(' ')}`,
    );
  if (/^[. ]+$/.test(name) || name.endsWith('.'))
    problems.push('it may not consist of dots and spaces or end with a dot');
  if (problems.length > 0) {
    throw new ConnectorError(
      'invalid_value',
      `The user name "${name}" cannot be an Active Directory logon name (sAMAccountName): ${problems.join('; ')}.`,
      {
        details: { attribute: 'sAMAccountName', value: name, maxLength: SAM_MAX, forbidden: SAM_FORBIDDEN },
        transient: false,
      },
    );
  }
}

/** Longest sAMAccountName this connector derives for a group (AD's own tools stop at 64). */
export const GROUP_SAM_MAX = 64;

/** A group's sAMAccountName derived from its name: forbidden characters removed, at most 64 characters; '' when nothing is left. */
export function cleanGroupSam(displayName: string): string {
  return [...displayName]
    .filter((c) => !SAM_FORBIDDEN.includes(c) && c.charCodeAt(0) >= 0x20)
    .join('')
    .trim()
    .replace(/\.+$/, '')
    .slice(0, GROUP_SAM_MAX)
    .trim()
    .replace(/\.+$/, '');
}

/** A sAMAccountName for a group derived from its name: forbidden characters removed. */
export function groupSamAccountName(displayName: string): string {
  return cleanGroupSam(displayName) || `group-${Date.now().toString(36)}`;
}

/** Renders an RDN template ("CN={displayName}", "uid={userName}") into [type, value]. */
export function renderRdn(
  template: string,
  lookup: (path: string) => string | undefined,
  fallback: string,
): [string, string] {
  const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*=(.*)$/.exec(template);
  if (!m)
    throw new ConnectorError(
      'invalid_value',
      `The RDN template "${template}" must look like cn={displayName} or uid={userName}.`,
    );
  const type = m[1] as string;
  // Spaces are kept (escaped in the DN); a value of only spaces falls back.
  const value = (m[2] as string).trim().replace(/\{([A-Za-z.]+)\}/g, (_, path: string) => lookup(path) ?? '');
  return [type, value.trim() ? value : fallback];
}

export function userLookup(u: RemoteUserData): (path: string) => string | undefined {
  return (path) => {
    if (path === 'givenName' || path === 'familyName') path = `name.${path}`;
    const v = getPath(u, path);
    if (path === 'displayName' && !v) {
      const parts = [u.name.givenName, u.name.familyName].filter(Boolean).join(' ');
      return parts || u.userName;
    }
    return Array.isArray(v) ? v[0] : typeof v === 'boolean' ? String(v) : v;
  };
}

export function userRdn(s: LdapSettings, u: RemoteUserData): [string, string] {
  return renderRdn(s.userRdnTemplate, userLookup(u), u.userName);
}

export function joinDn(type: string, value: string, parent: string): string {
  return parent ? `${type}=${escapeDnValue(value)},${parent}` : `${type}=${escapeDnValue(value)}`;
}

export function samAttr(s: LdapSettings): string | undefined {
  return s.userMapping.find((r) => r.model === 'userName')?.remote;
}
