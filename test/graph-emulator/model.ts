// Shapes of the directory objects the emulator serves, with the per-property facts that drive
// $select defaults, validation and $filter.

export interface GraphUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mailNickname: string;
  accountEnabled: boolean;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  jobTitle: string | null;
  department: string | null;
  companyName: string | null;
  employeeId: string | null;
  employeeType: string | null;
  employeeHireDate: string | null;
  mobilePhone: string | null;
  businessPhones: string[];
  faxNumber: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  usageLocation: string | null;
  city: string | null;
  country: string | null;
  state: string | null;
  streetAddress: string | null;
  postalCode: string | null;
  ageGroup: string | null;
  userType: string;
  otherMails: string[];
  proxyAddresses: string[];
  onPremisesImmutableId: string | null;
  onPremisesSyncEnabled: boolean | null;
  onPremisesExtensionAttributes: Record<string, string | null> | null;
  passwordPolicies: string | null;
  createdDateTime: string;
  lastPasswordChangeDateTime: string | null;
  deletedDateTime: string | null;
}

export interface GraphGroup {
  id: string;
  displayName: string;
  description: string | null;
  mailEnabled: boolean;
  mailNickname: string;
  securityEnabled: boolean;
  groupTypes: string[];
  mail: string | null;
  visibility: string | null;
  classification: string | null;
  isAssignableToRole: boolean | null;
  membershipRule: string | null;
  membershipRuleProcessingState: string | null;
  preferredLanguage: string | null;
  proxyAddresses: string[];
  securityIdentifier: string;
  onPremisesSyncEnabled: boolean | null;
  createdDateTime: string;
  renewedDateTime: string;
  deletedDateTime: string | null;
}

export type PropType = 'string' | 'boolean' | 'string[]' | 'object' | 'datetime';

export interface PropSpec {
  type: PropType;
  /** returned without $select */
  byDefault?: boolean;
  readOnly?: boolean;
  /** accepted on write, never returned (passwordProfile) */
  writeOnly?: boolean;
  /** usable in $filter with eq / startswith / in without advanced query headers */
  filter?: boolean;
  orderBy?: boolean;
  maxLength?: number;
}

export const USER_PROPS: Record<string, PropSpec> = {
  id: { type: 'string', byDefault: true, readOnly: true, filter: true },
  accountEnabled: { type: 'boolean', filter: true },
  ageGroup: { type: 'string', filter: true },
  businessPhones: { type: 'string[]', byDefault: true },
  city: { type: 'string', filter: true, maxLength: 128 },
  companyName: { type: 'string', filter: true, maxLength: 64 },
  country: { type: 'string', filter: true, maxLength: 128 },
  createdDateTime: { type: 'datetime', readOnly: true, filter: true },
  deletedDateTime: { type: 'datetime', readOnly: true },
  department: { type: 'string', filter: true, maxLength: 64 },
  displayName: { type: 'string', byDefault: true, filter: true, orderBy: true, maxLength: 256 },
  employeeHireDate: { type: 'datetime', filter: true },
  employeeId: { type: 'string', filter: true, maxLength: 16 },
  employeeType: { type: 'string', filter: true },
  faxNumber: { type: 'string', filter: true },
  givenName: { type: 'string', byDefault: true, filter: true, maxLength: 64 },
  jobTitle: { type: 'string', byDefault: true, filter: true, maxLength: 128 },
  lastPasswordChangeDateTime: { type: 'datetime', readOnly: true },
  mail: { type: 'string', byDefault: true, filter: true },
  mailNickname: { type: 'string', filter: true, maxLength: 64 },
  mobilePhone: { type: 'string', byDefault: true, filter: true, maxLength: 64 },
  officeLocation: { type: 'string', byDefault: true, filter: true },
  onPremisesExtensionAttributes: { type: 'object' },
  onPremisesImmutableId: { type: 'string', filter: true },
  onPremisesSyncEnabled: { type: 'boolean', readOnly: true, filter: true },
  otherMails: { type: 'string[]', filter: true },
  passwordPolicies: { type: 'string' },
  passwordProfile: { type: 'object', writeOnly: true },
  postalCode: { type: 'string', filter: true, maxLength: 40 },
  preferredLanguage: { type: 'string', byDefault: true, filter: true },
  proxyAddresses: { type: 'string[]', readOnly: true, filter: true },
  state: { type: 'string', filter: true, maxLength: 128 },
  streetAddress: { type: 'string', filter: true, maxLength: 1024 },
  surname: { type: 'string', byDefault: true, filter: true, maxLength: 64 },
  usageLocation: { type: 'string', filter: true },
  userPrincipalName: { type: 'string', byDefault: true, filter: true, orderBy: true },
  userType: { type: 'string', filter: true },
};

export const GROUP_PROPS: Record<string, PropSpec> = {
  id: { type: 'string', byDefault: true, readOnly: true, filter: true },
  classification: { type: 'string', byDefault: true },
  createdDateTime: { type: 'datetime', byDefault: true, readOnly: true, filter: true },
  deletedDateTime: { type: 'datetime', byDefault: true, readOnly: true },
  description: { type: 'string', byDefault: true, filter: true, maxLength: 1024 },
  displayName: { type: 'string', byDefault: true, filter: true, orderBy: true, maxLength: 256 },
  groupTypes: { type: 'string[]', byDefault: true, filter: true },
  isAssignableToRole: { type: 'boolean', byDefault: true },
  mail: { type: 'string', byDefault: true, readOnly: true, filter: true },
  mailEnabled: { type: 'boolean', byDefault: true, filter: true },
  mailNickname: { type: 'string', byDefault: true, filter: true, maxLength: 64 },
  membershipRule: { type: 'string', byDefault: true },
  membershipRuleProcessingState: { type: 'string', byDefault: true },
  onPremisesSyncEnabled: { type: 'boolean', byDefault: true, readOnly: true, filter: true },
  preferredLanguage: { type: 'string', byDefault: true },
  proxyAddresses: { type: 'string[]', byDefault: true, readOnly: true, filter: true },
  renewedDateTime: { type: 'datetime', byDefault: true, readOnly: true },
  securityEnabled: { type: 'boolean', byDefault: true, filter: true },
  securityIdentifier: { type: 'string', byDefault: true, readOnly: true, filter: true },
  visibility: { type: 'string', byDefault: true },
};

export const USER_DEFAULT_SELECT = Object.entries(USER_PROPS)
  .filter(([, spec]) => spec.byDefault)
  .map(([k]) => k);
export const GROUP_DEFAULT_SELECT = Object.entries(GROUP_PROPS)
  .filter(([, spec]) => spec.byDefault)
  .map(([k]) => k);

export const ODATA_TYPE = { user: '#microsoft.graph.user', group: '#microsoft.graph.group' } as const;
export type ObjectKind = keyof typeof ODATA_TYPE;
