export {
  type CheckOptions,
  checkKvHistory,
  checkLinearizability,
  type LinearizabilityResult,
} from './checker.ts';
export { HistoryRecorder, type Operation } from './history.ts';
export { type KvInput, type KvOperation, type KvOutput, kvModel, type Model, NOT_LEGAL } from './model.ts';
export { type SearchOutcome, searchLinearization } from './search.ts';
