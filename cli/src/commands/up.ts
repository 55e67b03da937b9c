// `kedge up --agents N [--dir D]` and `kedge down [--dir D] [--purge]`: a local cluster of agent
// processes on 127.0.0.x (agent/src/cluster/local-cluster.ts).
import os from 'node:os';
import path from 'node:path';
import { down, up } from '../../../agent/src/cluster/local-cluster.ts';
import { INGRESS_HTTP_PORT_OFFSET, INGRESS_HTTPS_PORT_OFFSET } from '../../../agent/src/node/edge-config.ts';
import type { CommandSpec } from '../command.ts';
import { CliError } from '../errors.ts';

const defaultDir = () => path.join(os.homedir(), '.kedge', 'local');

export const upCommand: CommandSpec = {
  name: 'up',
  group: 'cluster',
  summary: 'Start a local cluster of N agents on 127.0.0.x',
  usage:
    'kedge up --agents N [--dir D] [--voters 1|3|5|7] [--base-port P] [--datastore etcd://HOST:PORT[/PREFIX] [--datastore-ca F --datastore-cert F --datastore-key F]]',
  flags: [
    { name: 'agents', type: 'int', help: 'How many agents', default: 3 },
    { name: 'dir', type: 'string', help: 'Where their data goes (default ~/.kedge/local)' },
    { name: 'voters', type: 'int', help: 'Raft voters (default 3, or 1 for fewer than 3 agents)' },
    { name: 'base-port', type: 'int', help: 'Agent i: API on P+i, Raft on P+100+i', default: 16400 },
    {
      name: 'no-sample',
      type: 'bool',
      help: 'Do not deploy the sample workload (Deployment and Service hello)',
    },
    { name: 'node-port', type: 'int', help: "The sample Service's NodePort", default: 30080 },
    {
      name: 'datastore',
      type: 'string',
      help: 'Every agent keeps objects in this etcd: etcd://host:port[,host:port][/prefix] (etcds:// for TLS)',
    },
    {
      name: 'datastore-ca',
      type: 'string',
      help: 'CA bundle (PEM) that signed the etcd servers’ certificates',
    },
    { name: 'datastore-cert', type: 'string', help: 'Client certificate (PEM) for etcd' },
    { name: 'datastore-key', type: 'string', help: 'Client key (PEM) for etcd' },
  ],
  usesCluster: false,
  run: async (inv) => {
    const dir = inv.flags.string('dir') ?? defaultDir();
    const voters = inv.flags.int('voters');
    const datastore = inv.flags.string('datastore');
    const tls = (['ca', 'cert', 'key'] as const).flatMap((name) => {
      const file = inv.flags.string(`datastore-${name}`);
      return file === undefined ? [] : [[name, file] as const];
    });
    if (datastore === undefined && tls.length > 0)
      throw new CliError('Usage', '--datastore-ca/-cert/-key need --datastore etcds://HOST:PORT');
    const result = await up({
      agents: inv.flags.int('agents') ?? 3,
      dir,
      basePort: inv.flags.int('base-port') ?? 16400,
      ...(voters !== undefined ? { voters } : {}),
      ...(datastore !== undefined ? { datastore: { address: datastore, ...Object.fromEntries(tls) } } : {}),
      ...(inv.flags.bool('no-sample') ? {} : { sample: { nodePort: inv.flags.int('node-port') ?? 30080 } }),
      progress: (line) => inv.err(`${line}\n`),
    }).catch((error: Error) => {
      throw new CliError('Failed', error.message);
    });
    const sample = result.sample;
    if (sample !== undefined) {
      const width = Math.max(4, ...sample.pods.map((p) => p.name.length));
      inv.out(
        `sample workload: Deployment hello (${sample.pods.length} pods Running after ${sample.runningMs} ms), Service hello (NodePort ${sample.nodePort})\n` +
          `  ${'POD'.padEnd(width)}  NODE\n${sample.pods.map((p) => `  ${p.name.padEnd(width)}  ${p.node}`).join('\n')}\n` +
          `  reach it through the proxy on any node: curl http://127.0.0.1:${sample.nodePort}/  (or 127.0.0.2..${result.agents.length})\n`,
      );
    }
    // Agents on a shared machine serve Ingress on their API port + 500 (HTTP) / + 600 (HTTPS).
    const ingress = result.agents
      .map((a) => {
        const colon = a.apiAddress.lastIndexOf(':');
        const port = Number(a.apiAddress.slice(colon + 1));
        return `${a.apiAddress.slice(0, colon)}:${port + INGRESS_HTTP_PORT_OFFSET}/${port + INGRESS_HTTPS_PORT_OFFSET}`;
      })
      .join(' ');
    inv.out(`Ingress (HTTP/HTTPS) on each agent: ${ingress}\n`);
    inv.out(
      `leader elected after ${result.electedMs} ms; ${result.agents.length} agent(s) ready after ${result.readyMs} ms\n` +
        `  export KUBECONFIG=${result.kubeconfig}\n  kubectl get namespaces\n  kedge cluster status --dir ${dir}\n` +
        `stop it with: kedge down --dir ${dir}\n`,
    );
    return 0;
  },
};

export const downCommand: CommandSpec = {
  name: 'down',
  group: 'cluster',
  summary: 'Stop a local cluster started by `kedge up`',
  usage: 'kedge down [--dir D] [--purge]',
  flags: [
    { name: 'dir', type: 'string', help: 'The directory given to `kedge up` (default ~/.kedge/local)' },
    { name: 'purge', type: 'bool', help: 'Also delete its data' },
  ],
  usesCluster: false,
  run: async (inv) => {
    const dir = inv.flags.string('dir') ?? defaultDir();
    const stopped = await down({ dir, purge: inv.flags.bool('purge'), progress: (l) => inv.err(`${l}\n`) });
    inv.out(`stopped ${stopped} agent(s) in ${dir}\n`);
    return 0;
  },
};
