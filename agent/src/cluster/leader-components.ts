/**
 * What runs only on the leader: components started when this agent wins an election and aborted
 * the moment it stops leading (its AbortSignal fires). A deposed leader's component may still be
 * finishing a write, but every write is a Raft proposal, so it cannot change the store unless it
 * still leads. The scheduler and the controllers register here (agent.ts: `leaderComponents`).
 *
 *   role event: leader  -> for each component: run({signal, ...}) (restarted after a failure)
 *   role event: other   -> abort() -> every run's signal fires; runs are awaited on stop()
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';

export interface LeaderComponent<Context> {
  readonly name: string;
  /** Runs until `signal` aborts (or returns early when its work is done, e.g. a one-off bootstrap). */
  run(context: Context, signal: AbortSignal): Promise<void>;
}

export interface LeaderComponentRunner {
  /** This agent now leads (term for the log). */
  leading(term: number): void;
  /** This agent no longer leads: abort everything at once. */
  notLeading(): void;
  /** Names of the components running now. */
  running(): string[];
  stop(): Promise<void>;
}

const RESTART_DELAY_MS = 1000;

export function createLeaderComponentRunner<Context>(
  components: readonly LeaderComponent<Context>[],
  context: Context,
  logger: Logger,
): LeaderComponentRunner {
  let controller: AbortController | undefined;
  const active = new Set<string>();
  const runs = new Set<Promise<void>>();

  const supervise = async (component: LeaderComponent<Context>, signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      active.add(component.name);
      try {
        await component.run(context, signal);
        if (!signal.aborted) logger.info('leader component finished', { component: component.name });
        return;
      } catch (error) {
        if (signal.aborted) return;
        logger.error('leader component failed; restarting it', {
          component: component.name,
          error: (error as Error).message,
        });
        await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
      } finally {
        active.delete(component.name);
      }
    }
  };

  return {
    leading(term) {
      if (controller && !controller.signal.aborted) return;
      controller = new AbortController();
      logger.info('leading: starting leader components', { term, components: components.map((c) => c.name) });
      for (const component of components) {
        const run = supervise(component, controller.signal);
        runs.add(run);
        void run.finally(() => runs.delete(run));
      }
    },
    notLeading() {
      if (!controller || controller.signal.aborted) return;
      logger.info('no longer leading: stopping leader components', { components: [...active] });
      controller.abort(new Error('this agent is no longer the leader'));
    },
    running: () => [...active],
    async stop() {
      controller?.abort(new Error('the agent is stopping'));
      await Promise.allSettled([...runs]);
    },
  };
}
