/**
 * The leader's brain as leader components (cluster/leader-components.ts): the scheduler and the
 * controllers start when this agent wins an election and stop the moment it loses (the signal).
 * Each leadership term builds everything anew (a new Scheduler, a new ControllerManager with
 * fresh informers): nothing cached by a previous term survives into the next.
 *
 *   leading ──> scheduler:   Scheduler({ source: informers over the store, effects: bind + events }).run(signal)
 *           └─> controllers: ControllerManager.start(leaderControllers(deps), signal) ──> wait for abort
 *   client:    BackendClusterClient over the agent's ObjectBackend (each write a Raft proposal,
 *              so a deposed leader's in-flight write fails instead of changing the store)
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';
import type { ObjectBackend } from '../apiserver/backend.ts';
import type { LeaderComponent } from '../cluster/leader-components.ts';
import {
  type Clock,
  ControllerManager,
  leaderControllers,
  type MetricsSource,
  type NodeHealthSource,
  type NodeLifecycleConfig,
  systemClock,
} from '../controllers/index.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { BackendClusterClient } from './backend-cluster-client.ts';
import { informerClusterSource, schedulerEffects, type UtilisationFeed } from './scheduler-wiring.ts';

/** The part of the cluster's LeaderContext the control plane uses. */
export interface ControlPlaneContext {
  readonly backend: ObjectBackend;
  readonly identity: { readonly name: string };
  readonly logger: Logger;
}

export interface ControlPlaneOptions {
  /** Gossip's failure detector for the node lifecycle controller. */
  readonly health?: NodeHealthSource;
  /** Or a detector that runs only while this agent leads (agent-probe-health.ts). */
  readonly healthProbe?: (signal: AbortSignal) => NodeHealthSource;
  /** Measured node usage for the scheduler's utilisation score. */
  readonly utilisation?: UtilisationFeed;
  /** Pod CPU for the HPA (without it no HPA controller runs). */
  readonly metrics?: MetricsSource;
  readonly nodeLifecycle?: Partial<NodeLifecycleConfig>;
  readonly clock?: Clock;
  /** Pod-name randomness (tests). */
  readonly random?: () => number;
}

export function controlPlaneComponents(
  options: ControlPlaneOptions = {},
): LeaderComponent<ControlPlaneContext>[] {
  return [schedulerComponent(options), controllersComponent(options)];
}

export function schedulerComponent(options: ControlPlaneOptions = {}): LeaderComponent<ControlPlaneContext> {
  return {
    name: 'scheduler',
    async run({ backend, identity, logger }, signal) {
      const clock = options.clock ?? systemClock;
      const client = new BackendClusterClient(backend, { now: () => clock.now() });
      const onError = (error: Error, what: string) =>
        logger.warn('scheduler: retrying', { what, error: error.message });
      const scheduler = new Scheduler({
        source: informerClusterSource(client, clock, {
          onError,
          ...(options.utilisation !== undefined ? { utilisation: options.utilisation } : {}),
        }),
        effects: schedulerEffects(client, clock, { host: identity.name, onError }),
        seed: Date.now() & 0x7fffffff,
      });
      await scheduler.run(signal);
    },
  };
}

export function controllersComponent(
  options: ControlPlaneOptions = {},
): LeaderComponent<ControlPlaneContext> {
  return {
    name: 'controllers',
    async run({ backend, identity, logger }, signal) {
      const clock = options.clock ?? systemClock;
      const client = new BackendClusterClient(backend, { now: () => clock.now() });
      const manager = new ControllerManager({
        client,
        clock,
        host: identity.name,
        onError: (controller, key, error) =>
          logger.warn('controller: retrying', { controller, key, error: error.message }),
      });
      const health = options.health ?? options.healthProbe?.(signal);
      const defs = leaderControllers({
        client,
        ...(health !== undefined ? { health } : {}),
        ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
        ...(options.nodeLifecycle !== undefined ? { nodeLifecycle: options.nodeLifecycle } : {}),
        ...(options.random !== undefined ? { random: options.random } : {}),
      });
      await manager.start(defs, signal);
      if (signal.aborted) return;
      logger.info('controllers running', { controllers: defs.map((d) => d.name) });
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
}
