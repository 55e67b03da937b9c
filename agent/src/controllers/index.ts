/**
 * kedge's controllers: each a pure reconcile plus wiring (see README.md). `leaderControllers`
 * builds the set the leader runs; start it with a ControllerManager and abort its signal the
 * moment leadership is lost.
 */
import { cronJobController } from './cronjob/controller.ts';
import { daemonSetController } from './daemonset/controller.ts';
import { deploymentController } from './deployment/controller.ts';
import { endpointsController } from './endpoints/controller.ts';
import { garbageCollector } from './gc/controller.ts';
import { hpaController, type MetricsSource } from './hpa/controller.ts';
import type { HpaConfig } from './hpa/reconcile.ts';
import { jobController } from './job/controller.ts';
import type { JobConfig } from './job/reconcile.ts';
import { namespaceController } from './namespace/controller.ts';
import type { NodeHealthSource, NodeLifecycleConfig } from './node/config.ts';
import { nodeLifecycleController } from './node/controller.ts';
import { replicaSetController } from './replicaset/controller.ts';
import type { ClusterClient } from './runtime/client.ts';
import type { ControllerDefinition } from './runtime/controller.ts';
import { statefulSetController } from './statefulset/controller.ts';

export type { MetricsSource } from './hpa/controller.ts';
export type { NodeHealthSource, NodeLifecycleConfig } from './node/config.ts';
export { DEFAULT_NODE_LIFECYCLE } from './node/config.ts';
export * from './runtime/client.ts';
export { type Clock, FakeClock, systemClock } from './runtime/clock.ts';
export {
  type ControllerDefinition,
  ControllerManager,
  type ControllerManagerOptions,
} from './runtime/controller.ts';
export { EventRecorder } from './runtime/event-recorder.ts';
export { InProcessClusterClient } from './runtime/store-client.ts';

export interface LeaderControllerDeps {
  readonly client: ClusterClient;
  /** Gossip's failure detector (optional: heartbeats alone also work, more slowly). */
  readonly health?: NodeHealthSource;
  /** CPU usage per pod for the HPA (without it, no HPA controller runs). */
  readonly metrics?: MetricsSource;
  /** Pod-name randomness (default Math.random). */
  readonly random?: () => number;
  readonly nodeLifecycle?: Partial<NodeLifecycleConfig>;
  readonly job?: Partial<JobConfig>;
  readonly hpa?: Partial<HpaConfig>;
}

export function leaderControllers(deps: LeaderControllerDeps): ControllerDefinition[] {
  const random = deps.random ?? Math.random;
  const defs = [
    deploymentController(),
    replicaSetController({ random }),
    endpointsController(),
    garbageCollector(deps.client),
    namespaceController(),
    nodeLifecycleController({
      ...(deps.health !== undefined ? { health: deps.health } : {}),
      ...(deps.nodeLifecycle !== undefined ? { config: deps.nodeLifecycle } : {}),
    }),
    statefulSetController(),
    daemonSetController({ random }),
    jobController({ random, ...(deps.job !== undefined ? { config: deps.job } : {}) }),
    cronJobController(),
  ];
  if (deps.metrics !== undefined)
    defs.push(hpaController(deps.metrics, deps.hpa !== undefined ? { config: deps.hpa } : {}));
  return defs;
}
