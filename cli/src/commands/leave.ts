// `kedge leave --data-dir D`: the agent of D leaves the cluster (a voter hands over leadership
// first and is removed from Raft; a worker deregisters), then stops. Run on the agent's box: the
// request carries the agent's own certificate, so no admin token is needed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import { apiAddressOf, dataPaths, readIdentity } from '../../../agent/src/cluster/data-dir.ts';
import { readPemBundle } from '../../../agent/src/pki/files.ts';
import type { CommandSpec } from '../command.ts';

export const leaveCommand: CommandSpec = {
  name: 'leave',
  group: 'cluster',
  summary: 'Make this agent leave the cluster (voters hand over leadership first), then stop it',
  usage: 'kedge leave --data-dir D',
  usesCluster: false,
  flags: [{ name: 'data-dir', type: 'string', help: 'The data directory of the agent that leaves' }],
  run: async (inv) => {
    const dataDir = inv.flags.string('data-dir');
    if (dataDir === undefined) {
      inv.err('error: --data-dir is required (the agent that leaves)\n');
      return 2;
    }
    const identity = await readIdentity(dataDir);
    const pki = dataPaths(dataDir).pki;
    const node = await readPemBundle(pki, 'node');
    const reply = await callAgent(apiAddressOf(identity), '/kedge/v1/leave', {
      body: {},
      ca: await readFile(path.join(pki, 'ca.crt'), 'utf8'),
      clientCert: { cert: node.certPem, key: node.keyPem },
      timeoutMs: 30_000,
    });
    if (reply.status !== 200) {
      inv.err(
        `error: node ${identity.nodeId} could not leave (HTTP ${reply.status}): ${reply.json?.message ?? reply.text}\n`,
      );
      return 1;
    }
    const r = reply.json as { how: string; handedLeadershipTo?: number; stopping: boolean };
    const handover =
      r.handedLeadershipTo !== undefined ? `; leadership went to node ${r.handedLeadershipTo}` : '';
    inv.out(
      `node ${identity.nodeId} left the cluster (${r.how}${handover})${r.stopping ? '; the agent is stopping' : ''}\n`,
    );
    return 0;
  },
};
