// Placeholder until the sync engine lands (issue 5): it turns each local
// change into outbox items for the directories where the operation is on.
import type { ChangeRecorder, LocalChange } from './changes.ts';

export function createChangeRecorder(): ChangeRecorder {
  return { record: (_change: LocalChange) => 0 };
}
