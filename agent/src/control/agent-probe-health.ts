/**
 * A NodeHealthSource for the node lifecycle controller while gossip is not wired in: the leader
 * dials every member's agent endpoint every 500 ms. Only a refused connection counts towards
 * "dead" (the box answered and no agent listens: the process is gone), three in a row; a timeout
 * or any other failure is "suspect" (it may be the network), which the controller treats as
 * unreachable, with the long grace. One answer makes the node alive again.
 */
import { connect } from 'node:net';
import { splitHostPort } from '../cluster/agent-client.ts';
import type { GossipHealth, NodeHealthSource } from '../controllers/node/config.ts';

export interface ProbedMember {
  readonly name: string;
  readonly apiAddress: string;
}

export interface AgentProbeOptions {
  readonly members: () => readonly ProbedMember[];
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  /** Refused connections in a row before a node is dead (default 3). */
  readonly refusalsForDead?: number;
}

export type ProbeOutcome = 'ok' | 'refused' | 'failed';

/** Pure: the next verdict from the previous refusal streak and this probe's outcome. */
export function nextHealth(
  refusals: number,
  outcome: ProbeOutcome,
  refusalsForDead: number,
): { refusals: number; health: GossipHealth } {
  if (outcome === 'ok') return { refusals: 0, health: 'alive' };
  if (outcome === 'failed') return { refusals: 0, health: 'suspect' };
  const n = refusals + 1;
  return { refusals: n, health: n >= refusalsForDead ? 'dead' : 'suspect' };
}

function probe(address: string, timeoutMs: number): Promise<ProbeOutcome> {
  const [host, port] = splitHostPort(address);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('failed'), timeoutMs);
    socket.once('connect', () => done('ok'));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ECONNREFUSED' ? 'refused' : 'failed'),
    );
  });
}

/** Probes until `signal` aborts. */
export function agentProbeHealth(options: AgentProbeOptions, signal: AbortSignal): NodeHealthSource {
  const state = new Map<string, { refusals: number; health: GossipHealth }>();
  const listeners = new Set<(node: string) => void>();
  const round = async () => {
    await Promise.all(
      options.members().map(async (m) => {
        const outcome = await probe(m.apiAddress, options.timeoutMs ?? 400);
        const before = state.get(m.name);
        const next = nextHealth(before?.refusals ?? 0, outcome, options.refusalsForDead ?? 3);
        state.set(m.name, next);
        if (before?.health !== next.health) for (const l of listeners) l(m.name);
      }),
    );
  };
  const timer = setInterval(() => void round(), options.intervalMs ?? 500);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  return {
    health: (node) => state.get(node)?.health,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
