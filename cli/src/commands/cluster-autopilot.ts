// `kedge cluster autopilot [--dead-voter-grace 30s] [--stabilization 3s] [--voters 3|5|7]
// [--enabled true|false]`: shows the autopilot's settings, after changing the ones given. The
// settings live in the replicated registry (PUT /kedge/v1/autopilot on the leader), so every
// later leader applies the same ones.
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import type { Invocation } from '../command.ts';
import { adminEndpoint } from './admin-endpoint.ts';
import { durationMs } from './rollout.ts';

interface AutopilotView {
  readonly settings: {
    readonly enabled: boolean;
    readonly deadVoterGraceMs: number;
    readonly stabilizationMs: number;
    readonly maxLagEntries: number;
  };
  readonly desiredVoters: number;
  readonly voters?: readonly number[];
  readonly learners?: readonly number[];
}

/** The PUT body from the flags given, or a usage problem. */
export function autopilotChange(inv: Invocation): Record<string, unknown> | string {
  const change: Record<string, unknown> = {};
  const grace = inv.flags.string('dead-voter-grace');
  const stabilization = inv.flags.string('stabilization');
  const voters = inv.flags.string('voters');
  const enabled = inv.flags.string('enabled');
  try {
    if (grace !== undefined) change.deadVoterGraceMs = Math.round(durationMs(grace));
    if (stabilization !== undefined) change.stabilizationMs = Math.round(durationMs(stabilization));
  } catch (error) {
    return (error as Error).message;
  }
  if (voters !== undefined) {
    if (!/^[1-9]$/.test(voters)) return `--voters must be 1, 3, 5 or 7, not "${voters}"`;
    change.desiredVoters = Number(voters);
  }
  if (enabled !== undefined) {
    if (enabled !== 'true' && enabled !== 'false') return `--enabled must be true or false, not "${enabled}"`;
    change.enabled = enabled === 'true';
  }
  return change;
}

export async function runClusterAutopilot(inv: Invocation): Promise<number> {
  const change = autopilotChange(inv);
  if (typeof change === 'string') {
    inv.err(`error: ${change}\n`);
    return 2;
  }
  const endpoint = await adminEndpoint(inv);
  const auth = { ca: endpoint.caPem, token: endpoint.token, timeoutMs: 15_000 };
  let address = endpoint.address;
  if (Object.keys(change).length > 0) {
    // Settings change on the leader: a follower names it (X-Kedge-Leader).
    for (let hop = 0; ; hop++) {
      const reply = await callAgent(address, '/kedge/v1/autopilot', { ...auth, method: 'PUT', body: change });
      if (reply.status === 200) break;
      const leader = reply.headers['x-kedge-leader'];
      if (reply.status === 503 && typeof leader === 'string' && hop < 3) {
        address = leader;
        continue;
      }
      inv.err(`error: ${address} answered ${reply.status}: ${reply.json?.message ?? reply.text}\n`);
      return 1;
    }
  }
  // Read back from the agent that took the change: it applied it before answering.
  const reply = await callAgent(address, '/kedge/v1/autopilot', auth);
  if (reply.status !== 200) {
    inv.err(`error: ${address} answered ${reply.status}: ${reply.json?.message ?? reply.text}\n`);
    return 1;
  }
  inv.out(formatAutopilot(reply.json as AutopilotView));
  return 0;
}

export function formatAutopilot(view: AutopilotView): string {
  const s = view.settings;
  const seconds = (ms: number) => `${ms / 1000}s`;
  return [
    `enabled            ${s.enabled}`,
    `voters wanted      ${view.desiredVoters}${view.voters ? ` (now ${view.voters.length}: ${view.voters.join(', ')})` : ''}`,
    `dead-voter grace   ${seconds(s.deadVoterGraceMs)}`,
    `stabilization      ${seconds(s.stabilizationMs)}`,
    `max learner lag    ${s.maxLagEntries} entries`,
    '',
  ].join('\n');
}
