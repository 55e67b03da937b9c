// `kedge cluster transfer-leader [NODE | --to NODE]`: the leader hands over to NODE (a voter's id
// or name; the most caught-up live voter by default) and the command prints who leads now and how
// long the handover took. NODE is checked against the cluster's members first, so a worker or an
// unknown name is refused with the list of voters instead of a bare 409.
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import type { Invocation } from '../command.ts';
import { adminEndpoint } from './admin-endpoint.ts';
import type { Endpoint } from './cluster-status.ts';

interface MemberView {
  readonly id: number;
  readonly name: string;
  readonly role: string;
  readonly apiAddress: string;
}

/** The voter NODE names (an id or a name), or why it cannot lead. */
export function targetVoter(
  node: string,
  members: readonly MemberView[],
): { id: number } | { problem: string } {
  const voters = members.filter((m) => m.role === 'voter');
  const list = voters.map((m) => `${m.id} (${m.name})`).join(', ');
  const found = members.find((m) => String(m.id) === node || m.name === node);
  if (found === undefined)
    return { problem: `node "${node}" is not a member of this cluster; the voters are ${list}` };
  if (found.role !== 'voter')
    return {
      problem: `node ${found.id} (${found.name}) is a ${found.role}, and only a voter can lead; the voters are ${list}`,
    };
  return { id: found.id };
}

export async function runTransferLeader(inv: Invocation): Promise<number> {
  const endpoint = await adminEndpoint(inv);
  const node = inv.args[1] ?? inv.flags.string('to');
  let to: number | undefined;
  if (node !== undefined) {
    const members = await membersOf(endpoint);
    if (typeof members === 'string') {
      inv.err(`error: ${members}\n`);
      return 1;
    }
    const target = targetVoter(node, members);
    if ('problem' in target) {
      inv.err(`error: ${target.problem}\n`);
      return 1;
    }
    to = target.id;
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
      if (r.from === r.to) inv.out(`node ${r.to} leads already (term ${r.term})\n`);
      else
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

async function membersOf(endpoint: Endpoint): Promise<readonly MemberView[] | string> {
  const reply = await callAgent(endpoint.address, '/kedge/v1/cluster', {
    ca: endpoint.caPem,
    token: endpoint.token,
  });
  if (reply.status !== 200)
    return `${endpoint.address} answered ${reply.status}: ${reply.json?.message ?? reply.text}`;
  return (reply.json as { members: MemberView[] }).members;
}
