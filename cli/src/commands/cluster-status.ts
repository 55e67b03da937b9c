// `kedge cluster status`: members, roles, term, leader, commit/applied index, lag and health, from
// the /kedge/v1/cluster endpoint of the agent the kubeconfig (or a local cluster's dir) names.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import type { CommandSpec } from '../command.ts';
import { runClusterAutopilot } from './cluster-autopilot.ts';
import { runTransferLeader } from './transfer-leader.ts';

export interface Endpoint {
  address: string;
  caPem: string;
  token: string;
}

export async function endpointOf(kubeconfigFile: string): Promise<Endpoint> {
  const config = parse(await readFile(kubeconfigFile, 'utf8'));
  const contextName = config['current-context'];
  const context = config.contexts?.find((c: { name: string }) => c.name === contextName)?.context;
  const cluster = config.clusters?.find((c: { name: string }) => c.name === context?.cluster)?.cluster;
  const user = config.users?.find((u: { name: string }) => u.name === context?.user)?.user;
  if (!cluster?.server || !user?.token)
    throw new Error(`${kubeconfigFile} has no server or token in its current context`);
  return {
    address: new URL(cluster.server).host,
    caPem: Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64').toString('utf8'),
    token: user.token,
  };
}

export const clusterCommand: CommandSpec = {
  name: 'cluster',
  group: 'cluster',
  summary: 'Cluster membership: members, roles, term, leader, commit/applied index, lag, health',
  usage: `kedge cluster status [--kubeconfig F | --dir D]
kedge cluster transfer-leader [NODE | --to NODE]     NODE: a voter's id or name
kedge cluster autopilot [--dead-voter-grace 30s] [--stabilization 3s] [--voters 1|3|5|7] [--enabled true|false]`,
  subcommands: ['status', 'transfer-leader', 'autopilot'],
  flags: [
    { name: 'dir', type: 'string', help: 'A local cluster made by `kedge up` (uses its kubeconfig)' },
    {
      name: 'to',
      type: 'string',
      help: 'transfer-leader: the voter to hand leadership to (default: the most caught-up)',
    },
    {
      name: 'dead-voter-grace',
      type: 'string',
      help: 'autopilot: how long a voter may be unheard before it is replaced (e.g. 30s)',
    },
    {
      name: 'stabilization',
      type: 'string',
      help: 'autopilot: how long a worker must be healthy before it is made a voter',
    },
    { name: 'voters', type: 'string', help: 'autopilot: the voter count to keep (1, 3, 5 or 7)' },
    { name: 'enabled', type: 'string', help: 'autopilot: true or false' },
  ],
  run: async (inv) => {
    if (inv.args[0] === 'transfer-leader') return runTransferLeader(inv);
    if (inv.args[0] === 'autopilot') return runClusterAutopilot(inv);
    if (inv.args[0] !== 'status') {
      inv.err('usage: kedge cluster status|transfer-leader|autopilot (see kedge cluster --help)\n');
      return 2;
    }
    const dir = inv.flags.string('dir');
    const file =
      inv.flags.string('kubeconfig') ??
      (dir !== undefined ? path.join(dir, 'kubeconfig') : undefined) ??
      inv.env.KUBECONFIG ??
      path.join(os.homedir(), '.kedge', 'local', 'kubeconfig');
    const endpoint = await endpointOf(file);
    const reply = await callAgent(endpoint.address, '/kedge/v1/cluster', {
      ca: endpoint.caPem,
      token: endpoint.token,
    });
    if (reply.status !== 200) {
      inv.err(`error: ${endpoint.address} answered ${reply.status}: ${reply.json?.message ?? reply.text}\n`);
      return 1;
    }
    const c = reply.json;
    inv.out(
      `cluster ${c.clusterId}  term ${c.term}  leader node ${c.leader}  voters wanted ${c.desiredVoters}\n`,
    );
    const rows: string[][] = [
      ['ID', 'NAME', 'ROLE', 'ADDRESS', 'TERM', 'COMMIT', 'APPLIED', 'LAG', 'HEALTH'],
    ];
    for (const m of c.members) {
      const s = m.status ?? {};
      rows.push([
        String(m.id),
        m.name,
        s.role ?? m.role,
        m.apiAddress,
        String(s.term ?? '-'),
        String(s.commit ?? '-'),
        String(s.applied ?? '-'),
        m.lag === undefined || m.lag === null ? '-' : String(m.lag),
        m.health,
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      inv.out(
        `${r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
    return c.members.every((m: { health: string }) => m.health === 'healthy') ? 0 : 1;
  },
};
