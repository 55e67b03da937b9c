export { canonicalStringify, deepFreeze, jsonEqual } from './canonical-json.ts';
export {
  type CommandResult,
  type CreateCommand,
  type DeleteCommand,
  decodeCommand,
  encodeCommand,
  type ObjectCommand,
  type Preconditions,
  type StoreCommand,
  type TxnCommand,
  type UpdateCommand,
  type UpdateStatusCommand,
} from './commands.ts';
export { type ChangeEvent, type ChangeType, EventHistory } from './history.ts';
export { type ObjectKey, objectPath, type ResourceRef, resourceKey } from './keys.ts';
export { CONTINUE_EXPIRED, decodeContinue, encodeContinue, type ListOptions } from './list.ts';
export {
  type ApplyOutcome,
  DEFAULT_HISTORY_CAPACITY,
  ObjectStore,
  type ObjectStoreOptions,
  type WatchOptions,
} from './object-store.ts';
export { unknownResource } from './planner.ts';
export { policyFor, type ResourcePolicy } from './policy.ts';
export { compileSelection, type Selection, type SelectionOptions, selects } from './selection.ts';
export { restoreStore, snapshotStore } from './snapshot.ts';
export {
  toWatcherEvent,
  type WatchEvent,
  type WatchEventType,
  type WatchHandle,
  type WatchSink,
} from './watch-hub.ts';
