/**
 * How a member without a say in the registry learns what it says about itself: ask the voters
 * for /kedge/v1/members (its node certificate, 1 s each) on a timer, until the answer makes it
 * act. A leaderless voter watches for its own removal this way (rejoin.ts), a worker for its
 * designation as a voter (voter-designation.ts).
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { callAgent } from './agent-client.ts';
import type { RegistryState } from './cluster-registry.ts';

export interface VoterCredentialsForPolling {
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  readonly logger: Logger;
}

/**
 * The registry as each voter that answers tells it, in the order given; a voter that does not
 * answer (or not with 200) is skipped, and a debug line names it with `purpose`.
 */
export async function* registriesFromVoters(
  addresses: readonly string[],
  o: VoterCredentialsForPolling,
  purpose: string,
): AsyncGenerator<{ readonly address: string; readonly registry: Partial<RegistryState> }> {
  for (const address of addresses) {
    let registry: Partial<RegistryState>;
    try {
      const reply = await callAgent(address, '/kedge/v1/members', {
        ca: o.caPem,
        clientCert: o.nodeCert,
        timeoutMs: 1000,
      });
      if (reply.status !== 200) continue;
      registry = reply.json as Partial<RegistryState>;
    } catch (error) {
      o.logger.debug(`voter did not answer the ${purpose}`, { address, error: (error as Error).message });
      continue;
    }
    yield { address, registry };
  }
}

export interface RegistryWatchOptions {
  readonly intervalMs: number;
  /** Whether to look at this tick (a voter looks only while it knows no leader). */
  readonly due?: () => boolean;
  /** One look: true once it acted (restart, exit), which ends the watch. */
  readonly check: () => Promise<boolean>;
  readonly onError: (error: Error) => void;
}

/** Runs `check` on a timer, never two at once, until one acts or `stop()` is called. */
export function watchRegistry(o: RegistryWatchOptions): { stop(): void } {
  let busy = false;
  let done = false;
  const timer = setInterval(() => {
    if (busy || done || (o.due && !o.due())) return;
    busy = true;
    void o
      .check()
      .then((acted) => {
        done = acted;
      })
      .catch((error: unknown) => o.onError(error as Error))
      .finally(() => {
        busy = false;
      });
  }, o.intervalMs);
  return { stop: () => clearInterval(timer) };
}
