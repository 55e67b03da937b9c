/**
 * An agent's data directory: everything it needs to restart by itself, with no flags.
 *
 *   D/node.json          identity: cluster id, node id, role, addresses, the voters it knows
 *   D/pki/ca.crt         the cluster CA (every agent); ca.key only on voters (they sign joins)
 *   D/pki/node.crt|key   this agent's certificate (CN=node-<id>): HTTPS endpoint and Raft links
 *   D/cluster-key.json   the key that encrypts Secrets at rest (voters only), mode 0600
 *   D/bootstrap.json     the founder's first registry (tokens, users) until it is committed
 *   D/raft/              the Raft WAL and snapshots (voters only)
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TokenRecord } from '../auth/tokens.ts';
import type { JoinTokenRecord, MemberRole } from './cluster-registry.ts';

export interface KnownVoter {
  readonly id: number;
  readonly apiAddress: string;
  readonly raftAddress: string;
}

export interface NodeIdentity {
  readonly clusterId: string;
  readonly nodeId: number;
  readonly name: string;
  readonly role: MemberRole;
  /** The founder bootstraps Raft from itself; everyone else joins. */
  readonly founder: boolean;
  /** The IP this agent listens on and others dial. */
  readonly advertise: string;
  readonly apiPort: number;
  /** 0 for workers (no Raft). */
  readonly raftPort: number;
  /** Voters known at join time (refreshed by workers while they run). */
  readonly voters: readonly KnownVoter[];
  /** A joined voter is a learner until it asked to be promoted once caught up. */
  readonly promoted: boolean;
  /** The leader's commit index when this voter joined: caught up once applied reaches it. */
  readonly catchUpIndex?: number;
}

export interface BootstrapFile {
  readonly desiredVoters: number;
  readonly joinTokens: readonly JoinTokenRecord[];
  readonly users: readonly TokenRecord[];
}

export class DataDirError extends Error {
  readonly kind = 'DataDir';
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export const dataPaths = (dir: string) => ({
  identity: path.join(dir, 'node.json'),
  pki: path.join(dir, 'pki'),
  clusterKey: path.join(dir, 'cluster-key.json'),
  bootstrap: path.join(dir, 'bootstrap.json'),
  raft: path.join(dir, 'raft'),
  log: path.join(dir, 'agent.log'),
});

export const apiAddressOf = (identity: NodeIdentity): string => `${identity.advertise}:${identity.apiPort}`;
export const raftAddressOf = (identity: NodeIdentity): string => `${identity.advertise}:${identity.raftPort}`;

export function hasIdentity(dir: string): boolean {
  return existsSync(dataPaths(dir).identity);
}

export async function readIdentity(dir: string): Promise<NodeIdentity> {
  const file = dataPaths(dir).identity;
  if (!existsSync(file)) {
    throw new DataDirError(
      `${dir} holds no agent (no node.json): run \`kedge init --data-dir ${dir}\` for a new cluster or \`kedge agent --data-dir ${dir} --join ADDRESS --token TOKEN\``,
    );
  }
  return JSON.parse(await readFile(file, 'utf8')) as NodeIdentity;
}

/** Writes atomically (temp + rename), so a crash never leaves half a file. */
export async function writeJsonFile(file: string, value: unknown, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode });
  await rename(temp, file);
}

export async function writeIdentity(dir: string, identity: NodeIdentity): Promise<void> {
  await writeJsonFile(dataPaths(dir).identity, identity, 0o644);
}

export async function readBootstrap(dir: string): Promise<BootstrapFile | undefined> {
  const file = dataPaths(dir).bootstrap;
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as BootstrapFile;
}

export async function removeBootstrap(dir: string): Promise<void> {
  await rm(dataPaths(dir).bootstrap, { force: true });
}
