export { type CacheError, SchedulerCache } from './cache.ts';
export {
  type ChangeType,
  type ClusterEvent,
  type ClusterSource,
  isAssigned,
  isTerminal,
} from './cluster-events.ts';
export { type Diagnosis, fitErrorMessage, sortedReasonHistogram } from './fit-error.ts';
export {
  type CycleState,
  DEFAULT_WEIGHTS,
  defaultProfile,
  FILTERS,
  type FilterName,
  type FilterPlugin,
  type Profile,
  prepareCycle,
  type ScoreName,
  type ScorePlugin,
  type ScoreWeights,
  scorePlugins,
} from './framework.ts';
export { NodeInfo, type NodeUtilisation } from './node-info.ts';
export { compilePod, type PodInfo, podKey } from './pod-info.ts';
export {
  type AlgorithmState,
  numFeasibleNodesToFind,
  type ScheduleResult,
  schedulePod,
} from './schedule-one.ts';
export {
  type BindOutcome,
  DEFAULT_SCHEDULER_NAME,
  realClock,
  Scheduler,
  type SchedulerClock,
  type SchedulerEffects,
  type SchedulerEvent,
  type SchedulerOptions,
} from './scheduler.ts';
export { type QueuedPod, type QueueEvent, SchedulingQueue } from './scheduling-queue.ts';
export type { Snapshot } from './snapshot.ts';
