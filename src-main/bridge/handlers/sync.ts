// Bridge handlers of the sync area (contract/sync.ts).
import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';

type SyncChannels =
  | `import.${'preview' | 'rows' | 'exportCsv' | 'commit'}`
  | 'runs.list'
  | `provision.${'outbox' | 'retryFailed' | 'discardFailed' | 'onDemand'}`
  | `push.${'preview' | 'apply'}`;

export function syncHandlers(app: App): Handlers<SyncChannels> {
  return {
    'import.preview': ({ directoryId, mode }) => app.sync.previewImport(directoryId, { mode }),
    'import.rows': ({ runId, objectType, actions, text, offset, limit }) =>
      app.sync.rows(runId, { objectType, actions, text, offset, limit }),
    'import.exportCsv': ({ runId, objectType, actions, text, excluded }) =>
      app.sync.exportCsv(runId, { objectType, actions, text }, excluded),
    'import.commit': (input) => app.sync.commitImport(input),
    'runs.list': (f) => app.sync.runs(f),
    'provision.outbox': (f) => app.sync.outbox(f),
    'provision.retryFailed': (f) => app.sync.retryFailed(f),
    'provision.discardFailed': (f) => app.sync.discardFailed(f.ids),
    'provision.onDemand': ({ userId, directoryId }) => app.sync.provisionOnDemand(userId, directoryId),
    'push.preview': ({ directoryId }) => app.sync.previewPush(directoryId),
    'push.apply': (input) => app.sync.applyPush(input),
  };
}
