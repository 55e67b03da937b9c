// `kedge agent`: runs one agent in this process (agent/src/cluster/agent-command.ts).
import { runAgentCommand } from '../../../agent/src/cluster/agent-command.ts';
import type { CommandSpec } from '../command.ts';
import { argvOf, stringFlags } from './cluster-flags.ts';

const flags = stringFlags({
  'data-dir': 'The agent data directory (identity, certificates, Raft log)',
  join: 'host:port of any agent of the cluster to join (first start only)',
  token: 'Join token from `kedge init` (first start only)',
  advertise: 'The IP this agent listens on and others dial (default 127.0.0.1)',
  'api-port': 'HTTPS port of the API (default 6443)',
  'raft-port': 'Port of the Raft transport (default 7443)',
  name: 'A name for this agent',
  datastore: 'Keep objects in an external etcd: etcd://host:port[,host:port][/prefix] (etcds:// for TLS)',
  'datastore-ca': 'CA bundle (PEM) that signed the etcd servers’ certificates (etcds://)',
  'datastore-cert': 'Client certificate (PEM) for etcd (etcds://)',
  'datastore-key': 'Client key (PEM) for etcd (etcds://)',
});

export const agentCommand: CommandSpec = {
  name: 'agent',
  group: 'cluster',
  summary: 'Run an agent (join a cluster on its first start)',
  usage:
    'kedge agent --data-dir D [--join ADDRESS --token TOKEN] [--advertise IP] [--api-port N] [--raft-port N] [--datastore etcd://HOST:PORT]',
  flags,
  usesCluster: false,
  run: (inv) => runAgentCommand(argvOf(inv, flags), inv.io),
};
