/**
 * `kedge snapshot restore FILE --data-dir D`: a NEW cluster holding the saved state, as
 * `etcdutl snapshot restore` makes a new cluster with new member ids.
 *
 *   FILE ──decode + SHA-256 check──> registry + store (validated by restoring them once)
 *   init D (kedge init: new cluster id, new CA, node 1, new admin/join tokens, kubeconfig)
 *   registry' = the saved one with: the new cluster id, ONE member (node 1, this agent), the new
 *               join tokens, the saved users plus the new admin, no retired ids; desired voter
 *               count and autopilot settings kept
 *   D/raft ── a Raft snapshot at index 1, term 1, voters {1}, holding registry' + the store, and
 *             hard state commit 1 (what a fresh founder would bootstrap, but with the data in it)
 *   D/cluster-key.json = the source cluster's (--cluster-key): the store's Secrets are encrypted
 *             with it, and the snapshot file never carries the key
 *   then `kedge agent --data-dir D` starts it as a one-voter cluster; the others join it fresh
 *   with the new tokens (the autopilot and the voter count fill the voter seats again).
 *
 * Why a new cluster id and a new CA: the old cluster's agents still hold certificates of the old
 * CA and may still run; with a new CA none of them can reach the restored cluster's Raft or API
 * by mistake, and an old member id can never meet a new one. The store keeps its revision, so
 * every resourceVersion after the restore is larger than any before it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { wrapSnapshot } from '../../../consensus/src/node/envelope.ts';
import { openWal } from '../../../consensus/src/wal/index.ts';
import type { MemberRecord, RegistryState } from './cluster-registry.ts';
import { dataPaths, readBootstrap, readIdentity, removeBootstrap } from './data-dir.ts';
import { type InitOptions, type InitResult, initCluster } from './init.ts';
import { ReplicatedState } from './replicated-state.ts';
import { decodeSnapshotFile, SnapshotFileError, type SnapshotHeader } from './snapshot-file.ts';

export interface RestoreOptions extends InitOptions {
  readonly file: string;
  /**
   * The source cluster's cluster-key.json (a voter's data directory has it). Secrets are stored
   * encrypted with it and the snapshot deliberately does not carry it: a backup file alone must
   * not reveal them. Required when the snapshot holds Secrets.
   */
  readonly clusterKeyFile?: string;
}

export interface RestoreResult extends InitResult {
  readonly from: SnapshotHeader;
  readonly objects: number;
}

export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreResult> {
  const decoded = decodeSnapshotFile(await readFile(options.file));
  if (decoded instanceof SnapshotFileError) throw decoded;
  const saved = new ReplicatedState();
  try {
    saved.restore(decoded.payload);
  } catch (error) {
    throw new SnapshotFileError(`the snapshot's content does not load: ${(error as Error).message}`);
  }
  const old = saved.registry;
  const secrets = [...saved.store.entries()].find(([key]) => key === '/secrets')?.[1].length ?? 0;
  if (secrets > 0 && options.clusterKeyFile === undefined)
    throw new SnapshotFileError(
      `the snapshot holds ${secrets} Secret(s), encrypted with the old cluster's key: pass --cluster-key <old data dir>/cluster-key.json`,
    );
  const clusterKey =
    options.clusterKeyFile === undefined
      ? undefined
      : await readFile(options.clusterKeyFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new SnapshotFileError(
            `cannot read the old cluster's key ${options.clusterKeyFile} (${error.code ?? error.message}): pass the cluster-key.json from a data directory of the cluster the snapshot came from`,
          );
        });
  const init = await initCluster({ ...options, voters: old.desiredVoters });
  const bootstrap = await readBootstrap(options.dataDir);
  if (bootstrap === undefined) throw new Error('kedge init wrote no bootstrap.json');
  const identity = await readIdentity(options.dataDir);
  const founder: MemberRecord = {
    id: identity.nodeId,
    name: identity.name,
    role: 'voter',
    apiAddress: `${identity.advertise}:${identity.apiPort}`,
    raftAddress: `${identity.advertise}:${identity.raftPort}`,
    joinedAt: new Date().toISOString(),
  };
  const registry: RegistryState = {
    clusterId: identity.clusterId,
    desiredVoters: old.desiredVoters,
    nextNodeId: founder.id + 1,
    members: [founder],
    joinTokens: bootstrap.joinTokens,
    users: [
      ...old.users.filter((u) => !bootstrap.users.some((b) => b.sha256 === u.sha256)),
      ...bootstrap.users,
    ],
    retired: [],
    ...(old.autopilot !== undefined ? { autopilot: old.autopilot } : {}),
  };
  const state = withRegistry(decoded.payload, registry);
  // Load it once more, exactly as the agent will, so a bad composition fails here and not there.
  const check = new ReplicatedState();
  check.restore(state);

  const wal = await openWal(dataPaths(options.dataDir).raft);
  try {
    await wal.log.saveSnapshot({
      metadata: { index: 1, term: 1, confState: { voters: [founder.id], learners: [] } },
      data: wrapSnapshot(new Map([[founder.id, founder.raftAddress]]), state),
    });
    await wal.log.save({ term: 1, vote: 0, commit: 1 }, [], true);
  } finally {
    await wal.log.close();
  }
  if (clusterKey !== undefined)
    await writeFile(dataPaths(options.dataDir).clusterKey, clusterKey, { mode: 0o600 });
  // The registry is in the snapshot already: nothing is left to bootstrap.
  await removeBootstrap(options.dataDir);
  let objects = 0;
  for (const [, list] of check.store.entries()) objects += list.length;
  return { ...init, from: decoded.header, objects };
}

/**
 * The replicated state's snapshot with another registry: [u32 length][registry JSON][store bytes]
 * (replicated-state.ts owns this layout; the check above loads the result through it).
 */
function withRegistry(payload: Uint8Array, registry: RegistryState): Uint8Array {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const store = payload.subarray(4 + view.getUint32(0));
  const json = new TextEncoder().encode(JSON.stringify(registry));
  const out = new Uint8Array(4 + json.length + store.length);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  out.set(store, 4 + json.length);
  return out;
}
