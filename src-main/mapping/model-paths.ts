// Reading and writing the model's attributes by the path names used in
// attribute mappings (userName, name.givenName, emails.work, ...). Each
// connector maps directory attributes to these paths; the paths are the
// admin's vocabulary in the mapping editor.
import type { RemoteUserData } from '../connectors/connector.ts';

export const userModelPaths = [
  'userName',
  'displayName',
  'name.givenName',
  'name.familyName',
  'name.formatted',
  'emails.work',
  'emails',
  'phoneNumbers.work',
  'phoneNumbers.mobile',
  'title',
  'department',
  'employeeNumber',
  'manager',
  'active',
] as const;
export type ModelValue = string | string[] | boolean | undefined;

export function emptyUser(userName = ''): RemoteUserData {
  return { userName, name: {}, emails: [], phoneNumbers: [], active: true };
}

export function getPath(u: RemoteUserData, path: string): ModelValue {
  switch (path) {
    case 'userName':
      return u.userName;
    case 'displayName':
      return u.displayName;
    case 'name.givenName':
      return u.name?.givenName;
    case 'name.familyName':
      return u.name?.familyName;
    case 'name.formatted':
      return u.name?.formatted;
    case 'emails.work':
      return (u.emails.find((e) => e.primary) ?? u.emails[0])?.value;
    case 'emails':
      return u.emails.map((e) => e.value);
    case 'phoneNumbers.work':
      return u.phoneNumbers.find((p) => p.type === 'work' || !p.type)?.value;
    case 'phoneNumbers.mobile':
      return u.phoneNumbers.find((p) => p.type === 'mobile')?.value;
    case 'title':
      return u.title;
    case 'department':
      return u.department;
    case 'employeeNumber':
      return u.employeeNumber;
    case 'manager':
      return u.managerRef;
    case 'active':
      return u.active;
    default:
      return undefined;
  }
}

const first = (v: ModelValue): string | undefined =>
  Array.isArray(v) ? v[0] : typeof v === 'boolean' ? String(v) : v === '' ? undefined : v;

/** Sets one path; empty strings and empty arrays clear the attribute. */
export function setPath(u: RemoteUserData, path: string, value: ModelValue): void {
  const s = first(value);
  switch (path) {
    case 'userName':
      u.userName = s ?? '';
      return;
    case 'displayName':
      u.displayName = s;
      return;
    case 'name.givenName':
      u.name = { ...u.name, givenName: s };
      return;
    case 'name.familyName':
      u.name = { ...u.name, familyName: s };
      return;
    case 'name.formatted':
      u.name = { ...u.name, formatted: s };
      return;
    case 'emails.work': {
      const others = u.emails.filter((e) => !(e.primary || e.type === 'work'));
      u.emails = s ? [{ value: s, type: 'work', primary: true }, ...others.filter((e) => e.value !== s)] : others;
      return;
    }
    case 'emails': {
      const values = (Array.isArray(value) ? value : s ? [s] : []).filter(Boolean);
      const primary = u.emails.find((e) => e.primary)?.value;
      u.emails = values.map((v, i) => ({
        value: v,
        ...(v === primary || (!primary && i === 0) ? { primary: true } : {}),
      }));
      return;
    }
    case 'phoneNumbers.work':
    case 'phoneNumbers.mobile': {
      const type = path === 'phoneNumbers.work' ? 'work' : 'mobile';
      const others = u.phoneNumbers.filter((p) => (p.type ?? 'work') !== type);
      u.phoneNumbers = s ? [...others, { value: s, type }] : others;
      return;
    }
    case 'title':
      u.title = s;
      return;
    case 'department':
      u.department = s;
      return;
    case 'employeeNumber':
      u.employeeNumber = s;
      return;
    case 'manager':
      u.managerRef = s;
      return;
    case 'active':
      u.active = typeof value === 'boolean' ? value : s !== 'false';
      return;
  }
}
