// The whole bridge contract: every channel the renderer may call and every
// event it may receive. Areas live in their own files; this joins them.
import { appContract, type AppEvents } from './app.ts';
import { usersContract } from './users.ts';
import { groupsContract } from './groups.ts';
import { directoriesContract } from './directories.ts';
import { syncContract } from './sync.ts';
import { dashboardContract } from './dashboard.ts';
import { onboardingContract } from './onboarding.ts';
import { reportsContract } from './reports.ts';
import { scheduleContract } from './schedule.ts';
import type { Channel } from './channel.ts';
import type { z } from 'zod';

export const contract = {
  ...appContract,
  ...usersContract,
  ...groupsContract,
  ...directoriesContract,
  ...syncContract,
  ...dashboardContract,
  ...reportsContract,
  ...onboardingContract,
  ...scheduleContract,
};

export type Contract = typeof contract;
export type ChannelName = keyof Contract;
export type InputOf<C extends ChannelName> = Contract[C] extends Channel<infer I, unknown> ? z.input<I> : never;
export type ParsedInputOf<C extends ChannelName> = Contract[C] extends Channel<infer I, unknown> ? z.output<I> : never;
export type OutputOf<C extends ChannelName> = Contract[C] extends Channel<z.ZodType, infer O> ? O : never;

export type Events = AppEvents;
export type EventName = keyof Events;

export const channelNames = Object.keys(contract) as ChannelName[];
export const eventNames: EventName[] = ['app.progress', 'app.notice', 'app.changed'];

export * from './channel.ts';
export * from './app.ts';
export * from './users.ts';
export * from './groups.ts';
export * from './directories.ts';
export * from './sync.ts';
export * from './dashboard.ts';
export * from './onboarding.ts';
export * from './reports.ts';
export * from './schedule.ts';
