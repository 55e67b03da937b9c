/**
 * An agent whose role can change while the process runs: the supervisor behind `kedge agent`.
 *
 *   start(dataDir) ──> running ── lifecycle.restart(reason, prepare) ──> stop ─> prepare() ─> start
 *                        │           (a worker made a voter; a removed voter rejoining with a new id:
 *                        │            prepare rewrites the data directory while nothing holds it)
 *                        └── lifecycle.exit(reason) ──> stop ──> finished (`kedge leave`)
 *
 * The agent itself never restarts in place: it asks, and the supervisor stops it completely
 * (Raft, API, node components) before anything on disk changes.
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';

export interface AgentLifecycle {
  /** Stop this agent, run `prepare` (it may rewrite the data directory), then start it again. */
  restart(reason: string, prepare?: () => Promise<void>): void;
  /** Stop this agent for good: it left the cluster. */
  exit(reason: string): void;
}

export interface Stoppable {
  stop(): Promise<void>;
}

export interface SupervisedAgent<Agent extends Stoppable> {
  /** The agent running now (a new object after each restart). */
  current(): Agent;
  /** Resolves when the agent exited by itself (leave), with why. */
  readonly finished: Promise<string>;
  /** Stops the agent (a signal from the operator). */
  stop(): Promise<void>;
}

/** Starts an agent with `start` and restarts or ends it when it asks. */
export async function superviseAgent<Agent extends Stoppable>(
  start: (lifecycle: AgentLifecycle) => Promise<Agent>,
  logger: Logger,
): Promise<SupervisedAgent<Agent>> {
  let finish!: (reason: string) => void;
  const finished = new Promise<string>((resolve) => {
    finish = resolve;
  });
  let stopping = false;
  /** One transition at a time: a second request while one runs is dropped. */
  let transition: Promise<void> | undefined;
  let agent: Agent;

  const lifecycle: AgentLifecycle = {
    restart(reason, prepare) {
      if (stopping || transition) return;
      logger.info('restarting the agent', { reason });
      transition = (async () => {
        await agent.stop();
        if (prepare) await prepare();
        if (stopping) return;
        agent = await start(lifecycle);
      })()
        .catch((error: unknown) => {
          logger.error('the agent could not restart; stopping', { reason, error: (error as Error).message });
          stopping = true;
          finish(`restart failed: ${(error as Error).message}`);
        })
        .finally(() => {
          transition = undefined;
        });
    },
    exit(reason) {
      if (stopping) return;
      stopping = true;
      logger.info('the agent is leaving', { reason });
      void (async () => {
        await transition;
        await agent.stop();
      })()
        .catch((error: unknown) =>
          logger.error('stopping after leave failed', { error: (error as Error).message }),
        )
        .finally(() => finish(reason));
    },
  };

  agent = await start(lifecycle);
  return {
    current: () => agent,
    finished,
    async stop() {
      if (stopping) {
        await finished;
        return;
      }
      stopping = true;
      await transition;
      await agent.stop();
      finish('stopped');
    },
  };
}
