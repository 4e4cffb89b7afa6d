// Writing users and groups, one concern per file in write/: names and DNs, what every request shares,
// users, groups, which class a group has, and group members.
export {
  checkSamAccountName,
  GROUP_SAM_MAX,
  groupSamAccountName,
  renderRdn,
  SAM_FORBIDDEN,
  SAM_MAX,
} from './write/names.ts';
export { PASSWORD_MODIFY_OID, passwordModifyRequest } from './write/requests.ts';
export { createUser, deleteEntry, setPassword, setUserEnabled, updateUser } from './write/users.ts';
export { groupClassOf } from './write/group-class.ts';
export { createGroup, updateGroup } from './write/groups.ts';
export { addMembers, MEMBER_VALUES_PER_REQUEST, removeMembers } from './write/members.ts';
export { sameDn } from './escape.ts';
