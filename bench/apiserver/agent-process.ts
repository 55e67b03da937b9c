// One kedge agent as its own process for the API benchmark: joins when --join is given, then runs
// the real agent (Raft over mutual TLS, the HTTPS API, leader components) WITHOUT workloads (no
// kubelet, podman, gossip or proxy), so the figures are the control plane's alone.
//   node bench/apiserver/agent-process.ts --data-dir D [--join ADDR --token T --advertise IP --api-port N --raft-port N]
import { startAgent } from '../../agent/src/cluster/agent.ts';
import { intFlag, parseFlags } from '../../agent/src/cluster/agent-command.ts';
import { hasIdentity } from '../../agent/src/cluster/data-dir.ts';
import { joinCluster } from '../../agent/src/cluster/join-client.ts';
import { silentLogger } from '../../consensus/src/node/logger.ts';

const flags = parseFlags(process.argv.slice(2));
const dataDir = flags.get('data-dir');
if (dataDir === undefined) throw new Error('--data-dir is required');
const join = flags.get('join');
if (!hasIdentity(dataDir) && join !== undefined) {
  await joinCluster({
    dataDir,
    address: join,
    token: flags.get('token') ?? '',
    advertise: flags.get('advertise') ?? '127.0.0.1',
    apiPort: intFlag(flags, 'api-port', 6443),
    raftPort: intFlag(flags, 'raft-port', 7443),
  });
}
const agent = await startAgent({ dataDir, workloads: false, logger: silentLogger });
process.stdout.write(`${JSON.stringify({ event: 'serving', api: agent.apiAddress })}\n`);
const stop = async () => {
  await agent.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
