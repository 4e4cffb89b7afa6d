// Run-result notices: a short, link-free summary of a held, failed or
// quarantined scheduled run, for the admin addresses of the directory (mail)
// and the app (desktop notification, in-app notice).
import type { ScheduledOutcome } from '../../src-preload/contract/schedule.ts';

export interface RunNotice {
  level: 'warning' | 'error';
  title: string;
  text: string;
  outcome: ScheduledOutcome;
}

/** The notice for an outcome worth telling the admin about; undefined for a quiet success. */
export function noticeFor(o: ScheduledOutcome): RunNotice | undefined {
  const name = o.directoryName;
  if (o.status === 'held' && o.held) {
    const p = o.plan!;
    return {
      level: 'warning',
      title: `${name}: scheduled import held for review`,
      text: [
        `The scheduled import of ${name} was not committed. ${o.held.message}`,
        `Users: ${p.users.create} new, ${p.users.update} changed, ${p.users.missing} missing, ${p.users.conflict} in conflict.`,
        `Groups: ${p.groups.create} new, ${p.groups.update} changed, ${p.groups.missing} missing, ${p.groups.conflict} in conflict.`,
        'Open Provision Desk (Dashboard → Needs review) to commit a selection or discard it.',
      ].join('\n'),
      outcome: o,
    };
  }
  if (o.status === 'failed' && o.error) {
    const details = typeof o.error.details === 'object' ? serverWords(o.error.details) : undefined;
    return {
      level: 'error',
      title: o.quarantinedUntil ? `${name}: schedule quarantined` : `${name}: scheduled import failed`,
      text: [
        `The scheduled import of ${name} failed: ${o.error.message}`,
        ...(details ? [`The server said: ${details}`] : []),
        o.quarantinedUntil
          ? `It failed several times in a row: the schedule waits until ${o.quarantinedUntil} before trying again, unless you choose Retry now.`
          : 'Nothing was changed; the next scheduled run tries again.',
      ].join('\n'),
      outcome: o,
    };
  }
  return undefined;
}

function serverWords(details: unknown): string | undefined {
  const d = details as { server?: unknown } | null;
  return d && typeof d.server === 'string' ? d.server : undefined;
}
