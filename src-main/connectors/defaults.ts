// Each directory kind's defaults (mapping rows, prefilled connection fields) as
// plain data. Only the kinds' data files are loaded here, never a connector, so
// the sync engine and the directory form read defaults without pulling in
// ldapts or MSAL, and no connector imports the engine back.
import type { DirectoryKind } from '../../src-preload/directory.ts';
import type { KindDefaults } from './connector.ts';
import { ldapDefaults } from './ldap/defaults.ts';
import { graphDefaults } from './graph/defaults.ts';

export function defaultsFor(kind: DirectoryKind): KindDefaults {
  switch (kind) {
    case 'activeDirectory':
    case 'ldap':
      return ldapDefaults(kind);
    case 'entra':
      return graphDefaults();
  }
}
