/**
 * The joiner's side of `kedge agent --join ADDRESS --token TOKEN`:
 *
 *   GET /kedge/v1/ca (unverified) -> sha256 must equal the token's CA hash, else refuse
 *   POST /kedge/v1/join (CA pinned) -> 503 + X-Kedge-Leader? go there; 401? refuse with the reason
 *   -> write the data directory (certificates, identity): only now, so a refused join leaves nothing
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writePemBundle } from '../pki/files.ts';
import { callAgent } from './agent-client.ts';
import type { MemberRecord } from './cluster-registry.ts';
import {
  DataDirError,
  dataPaths,
  hasIdentity,
  type KnownVoter,
  writeIdentity,
  writeJsonFile,
} from './data-dir.ts';
import { caFingerprint, parseJoinToken } from './join-token.ts';

export interface JoinOptions {
  readonly dataDir: string;
  /** host:port of any agent of the cluster. */
  readonly address: string;
  readonly token: string;
  readonly advertise: string;
  readonly apiPort: number;
  readonly raftPort: number;
  readonly name?: string;
  /** How long to keep retrying while the cluster has no leader. Default 30 s. */
  readonly timeoutMs?: number;
}

export class JoinError extends Error {
  readonly kind: 'Refused' | 'WrongCluster' | 'Unreachable';
  constructor(kind: JoinError['kind'], message: string) {
    super(message);
    this.name = 'JoinError';
    this.kind = kind;
  }
}

interface JoinReply {
  clusterId: string;
  member: MemberRecord;
  desiredVoters: number;
  caPem: string;
  caKeyPem?: string;
  clusterKey?: unknown;
  certPem: string;
  keyPem: string;
  voters: KnownVoter[];
  catchUpIndex: number;
}

export async function joinCluster(options: JoinOptions): Promise<MemberRecord> {
  const dataDir = path.resolve(options.dataDir);
  if (hasIdentity(dataDir)) {
    throw new DataDirError(`${dataDir} already holds an agent; start it without --join`);
  }
  const token = parseJoinToken(options.token);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const caPem = await fetchCa(options.address, token.caHash, deadline);
  let address = options.address;
  let reply: JoinReply | undefined;
  while (reply === undefined) {
    let answer: Awaited<ReturnType<typeof callAgent>>;
    try {
      answer = await callAgent(address, '/kedge/v1/join', {
        ca: caPem,
        timeoutMs: 20_000,
        body: {
          token: options.token,
          name: options.name ?? '',
          advertise: options.advertise,
          apiPort: options.apiPort,
          raftPort: options.raftPort,
        },
      });
    } catch (error) {
      if (Date.now() > deadline)
        throw new JoinError('Unreachable', `no agent answered at ${address}: ${(error as Error).message}`);
      address = options.address;
      await sleep(300);
      continue;
    }
    if (answer.status === 200) {
      reply = answer.json as JoinReply;
    } else if (answer.status === 503 && Date.now() < deadline) {
      const leader = answer.headers['x-kedge-leader'];
      if (typeof leader === 'string') address = leader;
      else await sleep(300);
    } else {
      const why = answer.json?.message ?? answer.text;
      throw new JoinError(
        'Refused',
        `the cluster refused to let this agent join (HTTP ${answer.status}): ${why}`,
      );
    }
  }

  const paths = dataPaths(dataDir);
  const voter = reply.member.role === 'voter';
  await writePemBundle(paths.pki, 'node', { certPem: reply.certPem, keyPem: reply.keyPem });
  if (voter) {
    if (reply.caKeyPem === undefined) throw new JoinError('Refused', 'the leader sent no CA key to a voter');
    await writePemBundle(paths.pki, 'ca', { certPem: reply.caPem, keyPem: reply.caKeyPem });
    await writeJsonFile(paths.clusterKey, reply.clusterKey);
  } else {
    await writeFile(path.join(paths.pki, 'ca.crt'), reply.caPem, { mode: 0o644 });
  }
  await writeIdentity(dataDir, {
    clusterId: reply.clusterId,
    nodeId: reply.member.id,
    name: reply.member.name,
    role: reply.member.role,
    founder: false,
    advertise: options.advertise,
    apiPort: options.apiPort,
    // Kept for workers too: the autopilot may make this agent a voter later.
    raftPort: options.raftPort,
    voters: reply.voters,
    promoted: !voter,
    catchUpIndex: reply.catchUpIndex,
  });
  return reply.member;
}

async function fetchCa(address: string, expectedHash: string, deadline: number): Promise<string> {
  for (;;) {
    try {
      const reply = await callAgent(address, '/kedge/v1/ca', { timeoutMs: 3000 });
      const caPem = reply.json?.caPem;
      if (reply.status !== 200 || typeof caPem !== 'string') {
        throw new JoinError('Unreachable', `${address} did not return the cluster CA (HTTP ${reply.status})`);
      }
      if (caFingerprint(caPem) !== expectedHash) {
        throw new JoinError(
          'WrongCluster',
          `the agent at ${address} is not part of the cluster this token belongs to (its CA hash differs); check the address and the token`,
        );
      }
      return caPem;
    } catch (error) {
      if (error instanceof JoinError && error.kind === 'WrongCluster') throw error;
      if (Date.now() > deadline) {
        throw new JoinError('Unreachable', `cannot reach ${address} to join: ${(error as Error).message}`);
      }
      await sleep(300);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
