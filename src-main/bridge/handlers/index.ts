// Every channel's handler. Areas add their table here; the type below makes
// a channel without a handler a compile error.
import type { App } from '../../app.ts';
import type { ChannelName } from '../../../src-preload/contract.ts';
import type { Handlers } from './types.ts';
import { coreHandlers } from './core.ts';
import { syncHandlers } from './sync.ts';
import { dashboardHandlers } from './dashboard.ts';
import { onboardingHandlers } from './onboarding.ts';
import { reportHandlers } from './reports.ts';
import { scheduleHandlers } from './schedule.ts';

const cache = new WeakMap<App, Handlers<ChannelName>>();

export function handlers(app: App): Handlers<ChannelName> {
  let h = cache.get(app);
  if (!h) {
    h = {
      ...coreHandlers(app),
      ...syncHandlers(app),
      ...dashboardHandlers(app),
      ...reportHandlers(app),
      ...onboardingHandlers(app),
      ...scheduleHandlers(app),
    };
    cache.set(app, h);
  }
  return h;
}
