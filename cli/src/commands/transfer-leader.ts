// `kedge cluster transfer-leader [--to NODE_ID]`: the leader hands over (to the most caught-up live
// voter by default) and the command prints who leads now and how long the handover took.
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import type { Invocation } from '../command.ts';
import { adminEndpoint } from './admin-endpoint.ts';

export async function runTransferLeader(inv: Invocation): Promise<number> {
  const endpoint = await adminEndpoint(inv);
  const raw = inv.flags.string('to');
  const to = raw === undefined ? undefined : Number(raw);
  if (to !== undefined && (!Number.isInteger(to) || to <= 0)) {
    inv.err(`error: --to must be a node id (see \`kedge cluster status\`), not "${raw}"\n`);
    return 2;
  }
  let address = endpoint.address;
  for (let hop = 0; hop < 3; hop++) {
    const reply = await callAgent(address, '/kedge/v1/transfer-leader', {
      ca: endpoint.caPem,
      token: endpoint.token,
      body: to === undefined ? {} : { to },
      timeoutMs: 15_000,
    });
    if (reply.status === 200) {
      const r = reply.json as { from: number; to: number; term: number; tookMs: number };
      inv.out(`leadership moved from node ${r.from} to node ${r.to} (term ${r.term}) in ${r.tookMs} ms\n`);
      return 0;
    }
    const leader = reply.headers['x-kedge-leader'];
    if (reply.status === 503 && typeof leader === 'string') {
      address = leader;
      continue;
    }
    inv.err(`error: ${address} answered ${reply.status}: ${reply.json?.message ?? reply.text}\n`);
    return 1;
  }
  inv.err('error: the leader kept changing; run `kedge cluster status` and retry\n');
  return 1;
}
