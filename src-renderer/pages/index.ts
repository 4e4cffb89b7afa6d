// One component per page; areas replace their entry when their screen lands.
import type { ComponentType } from 'react';
import type { PageId } from '../store/ui.ts';
import { UsersPage } from './users/UsersPage.tsx';
import { DirectoriesPage } from './directories/DirectoriesPage.tsx';
import { GroupsPage } from './groups/GroupsPage.tsx';
import { ImportPage } from './import/ImportPage.tsx';
import { DashboardPage } from './dashboard/DashboardPage.tsx';
import { ReportsPage } from './reports/ReportsPage.tsx';
import { SettingsPage } from './settings/SettingsPage.tsx';

export const pageComponents: Record<PageId, ComponentType> = {
  dashboard: DashboardPage,
  directories: DirectoriesPage,
  import: ImportPage,
  users: UsersPage,
  groups: GroupsPage,
  reports: ReportsPage,
  settings: SettingsPage,
};
