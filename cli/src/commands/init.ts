// `kedge init`: a new cluster in the first agent's data directory; prints the tokens once.
import { intFlag, parseFlags } from '../../../agent/src/cluster/agent-command.ts';
import { initCluster } from '../../../agent/src/cluster/init.ts';
import type { CommandSpec } from '../command.ts';
import { argvOf, stringFlags } from './cluster-flags.ts';

const flags = stringFlags({
  'data-dir': "The first agent's data directory",
  advertise: 'The IP the first agent listens on (default 127.0.0.1)',
  'api-port': 'HTTPS port of the API (default 6443)',
  'raft-port': 'Port of the Raft transport (default 7443)',
  voters: 'Raft voters the cluster keeps: 1, 3, 5 or 7 (default 3)',
  'token-ttl': 'Seconds the join tokens stay valid (default 86400)',
  kubeconfig: 'Where to write the kubeconfig (default <data-dir>/kubeconfig)',
});

export const initCommand: CommandSpec = {
  name: 'init',
  group: 'cluster',
  summary: 'Create a cluster: CA, admin token, join tokens, kubeconfig',
  usage: 'kedge init --data-dir D [--advertise IP] [--voters 3] [--kubeconfig F]',
  flags,
  usesCluster: false,
  run: async (inv) => {
    const f = parseFlags(argvOf(inv, flags));
    const dataDir = f.get('data-dir');
    if (dataDir === undefined) {
      inv.err('usage: kedge init --data-dir D [--advertise IP] [--voters 3]\n');
      return 2;
    }
    const result = await initCluster({
      dataDir,
      advertise: f.get('advertise') ?? '127.0.0.1',
      apiPort: intFlag(f, 'api-port', 6443),
      raftPort: intFlag(f, 'raft-port', 7443),
      voters: intFlag(f, 'voters', 3),
      tokenTtlSeconds: intFlag(f, 'token-ttl', 86_400),
      ...(f.has('kubeconfig') ? { kubeconfig: f.get('kubeconfig')! } : {}),
    });
    inv.out(
      `cluster ${result.clusterId} created in ${dataDir}\n` +
        `start it:        kedge agent --data-dir ${dataDir}\n` +
        `kubeconfig:      ${result.kubeconfig}   (export KUBECONFIG=${result.kubeconfig}; kubectl get ns)\n` +
        `join a voter:    kedge agent --data-dir D --join ${result.apiAddress} --token ${result.voterToken} --advertise IP\n` +
        `join a worker:   kedge agent --data-dir D --join ${result.apiAddress} --token ${result.workerToken} --advertise IP\n` +
        `the join tokens expire at ${result.tokensExpireAt}; they are also in ${dataDir}/join-tokens\n`,
    );
    return 0;
  },
};
