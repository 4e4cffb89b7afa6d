// Dashboard area of the bridge: one call for the first screen an admin sees.
import { z } from 'zod';
import { channel } from './channel.ts';
import type { DirectoryKind } from '../directory.ts';

export interface StateCounts {
  provisioned: number;
  pending: number;
  failed: number;
}

export interface DirectorySummary {
  directoryId: string;
  name: string;
  kind: DirectoryKind;
  /** Local users / groups linked to this directory, by provisioning state. */
  users: StateCounts;
  groups: StateCounts;
  /** Outbox work for this directory. */
  pending: number;
  failed: number;
}

/** Provisioning activity of one day (UTC), from the provisioning report. */
export interface ActivityDay {
  /** YYYY-MM-DD */
  day: string;
  success: number;
  failure: number;
}

export interface DashboardSummary {
  users: number;
  groups: number;
  directories: DirectorySummary[];
  /** Oldest first, one entry per day, `days` entries ending today (UTC). */
  activity: ActivityDay[];
}

/** Provisioning work of one directory now: the current wave's done and pending, all failed. */
export interface DirectoryProgress {
  directoryId: string;
  name: string;
  /** Done since the oldest unfinished item was queued (0 when nothing is pending). */
  done: number;
  pending: number;
  failed: number;
  /** Items finished per minute over the last minute; absent when nothing is pending. */
  ratePerMinute?: number;
  /** Seconds until pending reaches 0 at that rate; absent when nothing moves. */
  etaSeconds?: number;
}

export const dashboardContract = {
  'dashboard.summary': channel<DashboardSummary>()(
    z.object({ days: z.number().int().min(1).max(366).default(30) }).strict(),
  ),
  'provision.progress': channel<DirectoryProgress[]>()(z.object({}).strict()),
};
