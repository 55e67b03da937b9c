// `kedge snapshot save FILE` (a verified backup streamed from the leader) and
// `kedge snapshot restore FILE --data-dir D` (a new cluster from it; start it with `kedge agent`).
import { saveSnapshot } from '../../../agent/src/cluster/snapshot-backup.ts';
import { restoreSnapshot } from '../../../agent/src/cluster/snapshot-restore.ts';
import type { CommandSpec } from '../command.ts';
import { adminEndpoint } from './admin-endpoint.ts';

const usage = `kedge snapshot save FILE [--kubeconfig F | --dir D]
kedge snapshot restore FILE --data-dir D [--cluster-key OLD/cluster-key.json] [--advertise IP] [--api-port N] [--raft-port N] [--name NAME]`;

export const snapshotCommand: CommandSpec = {
  name: 'snapshot',
  group: 'cluster',
  summary: 'Back up the cluster state to a file, or restore a new cluster from one',
  usage,
  subcommands: ['save', 'restore'],
  flags: [
    { name: 'dir', type: 'string', help: 'save: a local cluster made by `kedge up`' },
    { name: 'data-dir', type: 'string', help: 'restore: the new agent data directory (must not exist)' },
    {
      name: 'advertise',
      type: 'string',
      help: 'restore: the IP the new agent listens on (default 127.0.0.1)',
    },
    { name: 'api-port', type: 'string', help: 'restore: HTTPS port of the API (default 6443)' },
    { name: 'raft-port', type: 'string', help: 'restore: Raft port (default 7443)' },
    { name: 'name', type: 'string', help: 'restore: the new agent name' },
    {
      name: 'cluster-key',
      type: 'string',
      help: "restore: the old cluster's cluster-key.json (Secrets are encrypted with it)",
    },
  ],
  run: async (inv) => {
    const [verb, file] = inv.args;
    if ((verb !== 'save' && verb !== 'restore') || file === undefined) {
      inv.err(`usage:\n${usage}\n`);
      return 2;
    }
    if (verb === 'save') {
      const endpoint = await adminEndpoint(inv);
      const header = await saveSnapshot({
        address: endpoint.address,
        caPem: endpoint.caPem,
        token: endpoint.token,
        file,
      });
      inv.out(
        `saved ${file}: cluster ${header.clusterId}, raft index ${header.raftIndex}, revision ${header.revision}, ${header.size} bytes, sha256 ${header.sha256}\n`,
      );
      return 0;
    }
    const dataDir = inv.flags.string('data-dir');
    if (dataDir === undefined) {
      inv.err('error: restore needs --data-dir D for the new cluster\n');
      return 2;
    }
    const port = (name: string) => {
      const raw = inv.flags.string(name);
      return raw === undefined ? undefined : Number(raw);
    };
    const apiPort = port('api-port');
    const raftPort = port('raft-port');
    const advertise = inv.flags.string('advertise');
    const name = inv.flags.string('name');
    const clusterKeyFile = inv.flags.string('cluster-key');
    const result = await restoreSnapshot({
      file,
      dataDir,
      ...(advertise !== undefined ? { advertise } : {}),
      ...(apiPort !== undefined ? { apiPort } : {}),
      ...(raftPort !== undefined ? { raftPort } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(clusterKeyFile !== undefined ? { clusterKeyFile } : {}),
    });
    inv.out(
      `restored ${result.objects} object(s) at revision ${result.from.revision} from cluster ${result.from.clusterId}
new cluster ${result.clusterId} in ${dataDir}; start it with: kedge agent --data-dir ${dataDir}
admin kubeconfig: ${result.kubeconfig}
join tokens (expire ${result.tokensExpireAt}):
  voter  ${result.voterToken}
  worker ${result.workerToken}
`,
    );
    return 0;
  },
};
