export {
  applyConfChangeToState,
  confChangeRefusal,
  decodeConfChange,
  encodeConfChange,
} from './conf-change.ts';
export type { RaftConfig } from './config.ts';
export { MemoryStorage } from './memory-storage.ts';
export type { ProgressState } from './progress.ts';
export { seededRandom } from './random.ts';
export { createRawNode, type ProgressStatus, type RaftStatus, type RawNode } from './raw-node.ts';
