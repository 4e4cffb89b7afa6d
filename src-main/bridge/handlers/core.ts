import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';
import { defaultsFor } from '../../connectors/defaults.ts';

type CoreChannels =
  | 'app.info'
  | 'app.cancel'
  | `users.${'list' | 'page' | 'get' | 'create' | 'update' | 'delete' | 'setPassword'}`
  | `groups.${'list' | 'get' | 'create' | 'update' | 'delete' | 'addMembers' | 'removeMembers'}`
  | `directories.${'list' | 'get' | 'save' | 'delete' | 'verify' | 'defaults'}`;

export function coreHandlers(app: App): Handlers<CoreChannels> {
  return {
    'app.info': () => ({
      version: '0.1.0',
      shell: app.options.shell === 'electron' ? 'electron' : 'browser',
      dataDir: app.options.dataDir,
      nodeVersion: process.versions.node,
    }),
    'app.cancel': ({ operationId }) => ({ cancelled: app.operations.cancel(operationId) }),

    'users.list': () => app.users.list(),
    'users.page': ({ offset, limit }) => app.users.page(offset, limit),
    'users.get': ({ id }) => app.users.get(id),
    'users.create': ({ user, password }) => app.users.create(user, password),
    'users.update': ({ id, user, expectedVersion }) => app.users.update(id, user, expectedVersion),
    'users.delete': ({ id }) => ({ deleted: true as const, ...app.users.delete(id) }),
    'users.setPassword': ({ id, password, mustChange }) => ({
      queued: app.users.setPassword(id, password, mustChange),
    }),

    'groups.list': () => app.groups.list(),
    'groups.get': ({ id }) => app.groups.get(id),
    'groups.create': ({ group }) => app.groups.create(group),
    'groups.update': ({ id, group }) => app.groups.update(id, group),
    'groups.delete': ({ id }) => (app.groups.delete(id), { deleted: true as const }),
    'groups.addMembers': ({ id, memberIds }) => app.groups.addMembers(id, memberIds),
    'groups.removeMembers': ({ id, memberIds }) => app.groups.removeMembers(id, memberIds),

    'directories.list': () => app.directories.list(),
    'directories.get': ({ id }) => app.directories.get(id),
    'directories.save': ({ id, config, secrets }) => app.directories.save(id, config, secrets),
    'directories.delete': ({ id }) => (app.directories.delete(id), { deleted: true as const }),
    'directories.verify': (input) => app.directories.verify(input),
    'directories.defaults': ({ kind }) => defaultsFor(kind),
  };
}
