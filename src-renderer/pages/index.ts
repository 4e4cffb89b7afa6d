// One component per page; areas replace their entry when their screen lands.
import { createElement, type ComponentType } from 'react';
import type { PageId } from '../store/ui.ts';
import { UsersPage } from './users/UsersPage.tsx';
import { DirectoriesPage } from './directories/DirectoriesPage.tsx';
import { GroupsPage } from './groups/GroupsPage.tsx';
import { SettingsPage } from './settings/SettingsPage.tsx';
import { NotBuiltYet } from './Placeholder.tsx';

const notYet = (title: string, issue: string) => () => createElement(NotBuiltYet, { title, issue });

export const pageComponents: Record<PageId, ComponentType> = {
  dashboard: notYet('Dashboard', 'the admin screens (issue 6)'),
  directories: DirectoriesPage,
  import: notYet('Import', 'the admin screens (issue 6)'),
  users: UsersPage,
  groups: GroupsPage,
  reports: notYet('Reports', 'the reports issue (issue 8)'),
  settings: SettingsPage,
};
