// `kedge leave --data-dir D`: the agent of D leaves the cluster. Its node is drained first
// (cordoned, its pods deleted with their grace periods and recreated elsewhere by their
// controllers: cli/src/drain/, the path of `kedge node drain`), then a voter hands over
// leadership and is removed from Raft, or a worker deregisters; the agent deletes its Node and
// stops. Run on the agent's box: every request carries the agent's own certificate, so no admin
// token is needed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { callAgent } from '../../../agent/src/cluster/agent-client.ts';
import {
  apiAddressOf,
  dataPaths,
  type NodeIdentity,
  readIdentity,
} from '../../../agent/src/cluster/data-dir.ts';
import { readPemBundle } from '../../../agent/src/pki/files.ts';
import { KubeClient } from '../client/kube-client.ts';
import { defaultRetry, Transport } from '../client/transport.ts';
import type { CommandSpec, Invocation } from '../command.ts';
import { drainNode } from '../drain/node-drain.ts';
import { CliError } from '../errors.ts';
import { durationMs } from './rollout.ts';

export const leaveCommand: CommandSpec = {
  name: 'leave',
  group: 'cluster',
  summary:
    "Drain this agent's node, make the agent leave the cluster (voters hand over leadership first), then stop it",
  usage: `kedge leave --data-dir D [drain flags]

  The node is drained as \`kedge node drain --ignore-daemonsets\` does: cordoned, then each pod
  deleted with its grace period and waited for (its controller recreates it on another node).
  DaemonSet pods are not moved: they are removed with the Node. Pods no controller owns or with
  emptyDir data stop the leave unless --force / --delete-emptydir-data; --no-drain leaves at once
  (the pods are then deleted without waiting and recreated elsewhere).`,
  usesCluster: false,
  flags: [
    { name: 'data-dir', type: 'string', help: 'The data directory of the agent that leaves' },
    { name: 'no-drain', type: 'bool', help: 'Leave without draining the node first' },
    {
      name: 'force',
      type: 'bool',
      help: 'drain: also delete pods that no controller owns (they are not recreated)',
    },
    {
      name: 'delete-emptydir-data',
      type: 'bool',
      help: 'drain: also delete pods with emptyDir data (it is lost)',
    },
    {
      name: 'grace-period',
      type: 'int',
      help: "drain: seconds each pod gets to stop; -1 uses the pod's terminationGracePeriodSeconds",
      default: -1,
    },
    {
      name: 'timeout',
      type: 'string',
      help: 'drain: give up after this long (0 waits for ever), e.g. 90s',
      default: '0s',
    },
  ],
  run: async (inv) => {
    const dataDir = inv.flags.string('data-dir');
    if (dataDir === undefined) {
      inv.err('error: --data-dir is required (the agent that leaves)\n');
      return 2;
    }
    const identity = await readIdentity(dataDir);
    const pki = dataPaths(dataDir).pki;
    const node = await readPemBundle(pki, 'node');
    const ca = await readFile(path.join(pki, 'ca.crt'), 'utf8');
    const clientCert = { cert: node.certPem, key: node.keyPem };
    if (!inv.flags.bool('no-drain')) await drainBeforeLeaving(inv, identity, ca, clientCert);
    const reply = await callAgent(apiAddressOf(identity), '/kedge/v1/leave', {
      body: {},
      ca,
      clientCert,
      timeoutMs: 30_000,
    });
    if (reply.status !== 200) {
      inv.err(
        `error: node ${identity.nodeId} could not leave (HTTP ${reply.status}): ${reply.json?.message ?? reply.text}\n`,
      );
      if (!inv.flags.bool('no-drain'))
        inv.err(
          `node/${identity.name} stays cordoned; \`kedge node uncordon ${identity.name}\` lets pods back\n`,
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

/** `kedge node drain NODE --ignore-daemonsets` through the agent itself, with its certificate. */
async function drainBeforeLeaving(
  inv: Invocation,
  identity: NodeIdentity,
  ca: string,
  clientCert: { cert: string; key: string },
): Promise<void> {
  const server = await apiServerFor(identity, ca, clientCert);
  const client = new KubeClient(
    new Transport(
      {
        server: new URL(`https://${server}`),
        namespace: 'default',
        ca,
        insecureSkipTlsVerify: false,
        clientCert,
      },
      defaultRetry,
    ),
    'default',
  );
  const timeout = inv.flags.string('timeout') ?? '0s';
  try {
    await drainNode(client, {
      node: identity.name,
      ignoreDaemonsets: true,
      force: inv.flags.bool('force'),
      deleteEmptydirData: inv.flags.bool('delete-emptydir-data'),
      gracePeriod: inv.flags.int('grace-period') ?? -1,
      timeoutMs: timeout === '0s' ? 0 : durationMs(timeout),
      signal: inv.signal,
      say: (line) => inv.out(`${line}\n`),
      warn: (line) => inv.err(`${line}\n`),
    });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new CliError(
      error.kind,
      error.message,
      `${error.display}\nnode ${identity.nodeId} has not left the cluster; fix the above, or pass --no-drain to leave without moving its pods`,
    );
  } finally {
    client.close();
  }
}

/**
 * A voter that takes the agent's certificate for API requests: the agent itself when it is one,
 * else a voter it knows (a worker forwards API requests without the certificate's identity).
 */
async function apiServerFor(
  identity: NodeIdentity,
  ca: string,
  clientCert: { cert: string; key: string },
): Promise<string> {
  const candidates = [...new Set([apiAddressOf(identity), ...identity.voters.map((v) => v.apiAddress)])];
  const tried: string[] = [];
  for (const address of candidates) {
    try {
      const reply = await callAgent(address, `/api/v1/nodes/${encodeURIComponent(identity.name)}`, {
        ca,
        clientCert,
        timeoutMs: 3000,
      });
      if (reply.status === 200) return address;
      tried.push(`${address} answered ${reply.status}`);
    } catch (error) {
      tried.push(`${address}: ${(error as Error).message}`);
    }
  }
  throw new CliError(
    'Connection',
    `no voter answered for node/${identity.name} (${tried.join('; ')})`,
    `error: cannot drain node/${identity.name}: no voter answered (${tried.join('; ')})\n` +
      `node ${identity.nodeId} has not left the cluster; start a voter, or pass --no-drain to leave without moving its pods`,
  );
}
