// A directory's LDAP configuration resolved with its kind's defaults: where
// users and groups are read and created, which filters, which anchor, the
// mapping in force. Everything else in the connector reads these settings.
import type { DirectoryConfig, LdapConnection, MappingRow } from '../../../src-preload/directory.ts';
import { ConnectorError } from '../connector.ts';
import { andFilters, normalizeDn, parseDn } from './escape.ts';
import { defaultGroupMapping, defaultUserMapping, kindDefaults, type LdapKind } from './defaults.ts';
import { effectiveMapping } from './mapping.ts';

export interface LdapSettings {
  kind: LdapKind;
  /** The directory's name as the admin calls it (for messages). */
  name: string;
  /** The directory's matching rules, in order (sync/matching.ts decides with them). */
  matching: DirectoryConfig['matching'];
  isAd: boolean;
  conn: LdapConnection;
  baseDn: string;
  userBase: string;
  groupBase: string;
  scope: 'sub' | 'one';
  /** Object-class filter of the kind AND the admin's filter. */
  userFilter: string;
  groupFilter: string;
  /** Any group anywhere under the base DN (to type nested members). */
  anyGroupFilter: string;
  /** Any user-like object under the base DN, in scope or not (delta). */
  anyUserFilter: string;
  anchorAttribute: 'objectGUID' | 'entryUUID';
  userObjectClasses: string[];
  groupObjectClasses: string[];
  userRdnTemplate: string;
  groupRdnTemplate: string;
  userTargetOu: string;
  groupTargetOu: string;
  upnSuffix: string;
  /** Normalized DNs (or DN suffixes) left out of listings. */
  exclusions: string[];
  /** The admin's user mapping; for generic LDAP without a row for `active`,
   *  plus the row that writes it (see {@link implicitActiveRow}). */
  userMapping: MappingRow[];
  groupMapping: MappingRow[];
  pageSize: number;
  /** Values per ranged retrieval request of member (AD MaxValRange default). */
  rangeSize: number;
}

function checkDn(dn: string, what: string): string {
  try {
    parseDn(dn);
  } catch (e) {
    throw new ConnectorError('invalid_value', `The ${what} "${dn}" is not a valid DN.`, {
      details: { serverMessage: (e as Error).message },
    });
  }
  return dn;
}

/** UPN suffix from the dc= parts of a DN: DC=ad,DC=example,DC=test → ad.example.test. */
export function dnsDomainOf(dn: string): string {
  return parseDn(dn)
    .map((r) => r[0])
    .filter((a) => a && a.type.toLowerCase() === 'dc')
    .map((a) => a?.value)
    .join('.')
    .toLowerCase();
}

/**
 * Generic LDAP has no standard "disabled"; the password-policy overlay
 * (draft-behera ppolicy, OpenLDAP's ppolicy) gives one: pwdAccountLockedTime
 * 000001010000Z locks the account until an admin removes it. Used when the
 * admin has not mapped `active` to an attribute of their own.
 */
export const ppolicyActiveRow: MappingRow = { model: 'active', remote: 'pwdAccountLockedTime', direction: 'both' };

/**
 * The row that writes *active* when the admin's mapping has none (generic LDAP only): the lock
 * attribute of the "disabled users: created locked" choice, else the ppolicy lock. The directory
 * form shows this row, so what the engine writes is never hidden.
 */
export function implicitActiveRow(config: DirectoryConfig): MappingRow | undefined {
  if (config.kind !== 'ldap') return undefined;
  const rows = effectiveMapping(config.userMapping, defaultUserMapping('ldap'));
  if (rows.some((r) => r.model === 'active')) return undefined;
  const d = config.disabledUsers;
  if (d?.whereNotWritable === 'createdLocked' && d.lockAttribute)
    return { model: 'active', remote: d.lockAttribute, direction: 'both' };
  return ppolicyActiveRow;
}

function withActiveRow(config: DirectoryConfig, rows: MappingRow[]): MappingRow[] {
  const row = implicitActiveRow(config);
  return row ? [...rows, row] : rows;
}

export function resolveSettings(config: DirectoryConfig): LdapSettings {
  if (config.kind !== 'activeDirectory' && config.kind !== 'ldap') {
    throw new ConnectorError('invalid_value', `The LDAP connector cannot serve a directory of kind ${config.kind}.`);
  }
  const kind = config.kind;
  const d = kindDefaults[kind];
  const c = config.connection;
  const baseDn = checkDn(c.baseDn, 'base DN');
  const userBase = c.userSearchBase ? checkDn(c.userSearchBase, 'user search base') : baseDn;
  const groupBase = c.groupSearchBase ? checkDn(c.groupSearchBase, 'group search base') : baseDn;
  const userTargetOu = c.userTargetOu ? checkDn(c.userTargetOu, 'target OU for users') : userBase;
  const groupTargetOu = c.groupTargetOu ? checkDn(c.groupTargetOu, 'target OU for groups') : groupBase;
  return {
    kind,
    name: config.name,
    matching: config.matching,
    isAd: kind === 'activeDirectory',
    conn: c,
    baseDn,
    userBase,
    groupBase,
    scope: c.scope,
    userFilter: andFilters(d.userClassFilter, c.userFilter),
    groupFilter: andFilters(d.groupClassFilter, c.groupFilter),
    anyGroupFilter: d.groupClassFilter,
    anyUserFilter: d.userClassFilter,
    anchorAttribute: d.anchor,
    userObjectClasses: d.userObjectClasses,
    groupObjectClasses: d.groupObjectClasses,
    userRdnTemplate: c.userRdnTemplate || d.userRdnTemplate,
    groupRdnTemplate: c.groupRdnTemplate || d.groupRdnTemplate,
    userTargetOu,
    groupTargetOu,
    upnSuffix: c.upnSuffix || dnsDomainOf(baseDn),
    exclusions: c.exclusions.filter((e) => e.trim()).map(normalizeDn),
    userMapping: withActiveRow(config, effectiveMapping(config.userMapping, defaultUserMapping(kind))),
    groupMapping: effectiveMapping(config.groupMapping, defaultGroupMapping(kind)),
    pageSize: c.pageSize,
    rangeSize: 1500,
  };
}

/** True when an exclusion (a DN or DN suffix) covers dn. */
export function isExcluded(s: LdapSettings, dn: string): boolean {
  if (s.exclusions.length === 0) return false;
  const n = normalizeDn(dn);
  return s.exclusions.some((e) => n === e || n.endsWith(`,${e}`));
}
