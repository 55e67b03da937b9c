/**
 * The worker's side of the autopilot's promotion: a worker holds no Raft replica, so when the
 * registry says it is now a voter it must become one.
 *
 *   every 1 s: GET /kedge/v1/members from a voter (its certificate)
 *     -> its own record says role voter? POST /kedge/v1/voter-credentials (CA key, cluster key,
 *        the voters, the commit index to catch up to)
 *     -> lifecycle.restart: stop the worker, write pki/ca.key, cluster-key.json and node.json
 *        (role voter), start again: a Raft replica that joins as the learner the leader added;
 *        the autopilot promotes it to voter once its log is caught up
 */
import type { Logger } from '../../../consensus/src/node/logger.ts';
import { writePemBundle } from '../pki/files.ts';
import { callAgent } from './agent-client.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { dataPaths, type KnownVoter, type NodeIdentity, writeIdentity, writeJsonFile } from './data-dir.ts';
import { registriesFromVoters, watchRegistry } from './voter-polling.ts';

export interface DesignationWatchOptions {
  readonly dataDir: string;
  readonly identity: () => NodeIdentity;
  readonly voterAddresses: () => readonly string[];
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
  readonly lifecycle: AgentLifecycle;
  readonly logger: Logger;
  readonly intervalMs?: number;
}

interface VoterCredentials {
  readonly caKeyPem: string;
  readonly clusterKey: unknown;
  readonly voters: readonly KnownVoter[];
  readonly catchUpIndex: number;
}

/** Watches the registry for this worker being made a voter. */
export function watchForVoterDesignation(o: DesignationWatchOptions): { stop(): void } {
  return watchRegistry({
    intervalMs: o.intervalMs ?? 1000,
    check: () => checkOnce(o),
    onError: (error) => o.logger.warn('voter designation check failed', { error: error.message }),
  });
}

async function checkOnce(o: DesignationWatchOptions): Promise<boolean> {
  const me = o.identity();
  for await (const { address, registry } of registriesFromVoters(
    o.voterAddresses(),
    o,
    'designation check',
  )) {
    const record = registry.members?.find((m) => m.id === me.nodeId);
    if (record?.role !== 'voter') return false;
    const reply = await callAgent(address, '/kedge/v1/voter-credentials', {
      body: {},
      ca: o.caPem,
      clientCert: o.nodeCert,
      timeoutMs: 5000,
    });
    if (reply.status !== 200) {
      o.logger.info('voter credentials not handed out yet', { address, status: reply.status });
      return false;
    }
    const credentials = reply.json as VoterCredentials;
    o.logger.info('the autopilot made this worker a voter; restarting as a Raft replica', { id: me.nodeId });
    o.lifecycle.restart('designated a voter by the autopilot', () =>
      becomeVoter(o.dataDir, me, o.caPem, credentials),
    );
    return true;
  }
  return false;
}

async function becomeVoter(
  dataDir: string,
  identity: NodeIdentity,
  caPem: string,
  credentials: VoterCredentials,
): Promise<void> {
  const paths = dataPaths(dataDir);
  await writePemBundle(paths.pki, 'ca', { certPem: caPem, keyPem: credentials.caKeyPem });
  await writeJsonFile(paths.clusterKey, credentials.clusterKey);
  await writeIdentity(dataDir, {
    ...identity,
    role: 'voter',
    founder: false,
    voters: credentials.voters,
    // The autopilot promotes it once caught up; asking as a joined voter does is a fallback.
    promoted: false,
    catchUpIndex: credentials.catchUpIndex,
  });
}
