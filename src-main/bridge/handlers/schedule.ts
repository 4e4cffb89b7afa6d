// Bridge handlers of the schedules area (contract/schedule.ts).
import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';

export function scheduleHandlers(app: App): Handlers<`schedule.${'overview' | 'runNow' | 'discard'}`> {
  return {
    'schedule.overview': () => app.schedule.overview(),
    'schedule.runNow': ({ directoryId }) => app.schedule.runNow(directoryId),
    'schedule.discard': ({ runId }) => app.schedule.discard(runId),
  };
}
