/**
 * `kedge init`: a new cluster in the first agent's data directory. Creates the cluster id, the CA,
 * the first agent's certificate, the key that encrypts Secrets, the admin token and two join
 * tokens (voter, worker; with expiry, revocable), and a kubeconfig. Only hashes of the tokens are
 * kept (bootstrap.json, then the replicated registry): the tokens are shown once.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateClusterKey } from '../auth/secret-encryption.ts';
import { generateToken, hashToken } from '../auth/tokens.ts';
import { createClusterCa, loadCa } from '../pki/certificate-authority.ts';
import { writePemBundle } from '../pki/files.ts';
import { VOTER_COUNTS } from './cluster-registry.ts';
import {
  type BootstrapFile,
  DataDirError,
  dataPaths,
  hasIdentity,
  writeIdentity,
  writeJsonFile,
} from './data-dir.ts';
import { createJoinToken } from './join-token.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { issueNodeCertificate } from './node-certificate.ts';

export interface InitOptions {
  readonly dataDir: string;
  readonly advertise?: string;
  readonly apiPort?: number;
  readonly raftPort?: number;
  /** Raft voters the cluster keeps: 1, 3, 5 or 7. Default 3. */
  readonly voters?: number;
  /** How long the join tokens are valid. Default 24 h. */
  readonly tokenTtlSeconds?: number;
  /** Where to write the kubeconfig. Default <dataDir>/kubeconfig. */
  readonly kubeconfig?: string;
  readonly name?: string;
}

export interface InitResult {
  readonly clusterId: string;
  readonly apiAddress: string;
  readonly adminToken: string;
  readonly voterToken: string;
  readonly workerToken: string;
  readonly tokensExpireAt: string;
  readonly kubeconfig: string;
}

export const ADMIN_IDENTITY = { name: 'kedge-admin', groups: ['system:masters', 'system:authenticated'] };

export async function initCluster(options: InitOptions): Promise<InitResult> {
  const dataDir = path.resolve(options.dataDir);
  if (hasIdentity(dataDir)) {
    throw new DataDirError(
      `${dataDir} already holds an agent; start it with \`kedge agent --data-dir ${dataDir}\``,
    );
  }
  const voters = options.voters ?? 3;
  if (!VOTER_COUNTS.includes(voters)) {
    throw new DataDirError(
      `--voters must be one of ${VOTER_COUNTS.join(', ')} (an odd quorum), not ${voters}`,
    );
  }
  const advertise = options.advertise ?? '127.0.0.1';
  const apiPort = options.apiPort ?? 6443;
  const raftPort = options.raftPort ?? 7443;
  const clusterId = randomUUID();
  const paths = dataPaths(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const ca = await createClusterCa({ commonName: `kedge-ca-${clusterId.slice(0, 8)}` });
  await writePemBundle(paths.pki, 'ca', ca);
  const nodeCert = await issueNodeCertificate(await loadCa(ca), {
    nodeId: 1,
    ipAddresses: [advertise, '127.0.0.1'],
  });
  await writePemBundle(paths.pki, 'node', nodeCert);
  const key = generateClusterKey('k1');
  await writeJsonFile(paths.clusterKey, { id: key.id, key: Buffer.from(key.key).toString('base64') });

  const adminToken = generateToken();
  const expiresAt = new Date(Date.now() + (options.tokenTtlSeconds ?? 86_400) * 1000);
  const voter = createJoinToken(ca.certPem, 'voter', expiresAt);
  const worker = createJoinToken(ca.certPem, 'worker', expiresAt);
  const bootstrap: BootstrapFile = {
    desiredVoters: voters,
    joinTokens: [voter.record, worker.record],
    users: [{ sha256: hashToken(adminToken), identity: ADMIN_IDENTITY }],
  };
  await writeJsonFile(paths.bootstrap, bootstrap);
  const apiAddress = `${advertise}:${apiPort}`;
  await writeIdentity(dataDir, {
    clusterId,
    nodeId: 1,
    name: options.name ?? 'agent-1',
    role: 'voter',
    founder: true,
    advertise,
    apiPort,
    raftPort,
    voters: [{ id: 1, apiAddress, raftAddress: `${advertise}:${raftPort}` }],
    promoted: true,
  });
  const kubeconfig = path.resolve(options.kubeconfig ?? path.join(dataDir, 'kubeconfig'));
  await writeKubeconfig(kubeconfig, {
    server: `https://${apiAddress}`,
    caPem: ca.certPem,
    token: adminToken,
  });
  // The tokens are also kept for the operator who ran init (mode 0600), as k3s keeps its token.
  await writeFile(path.join(dataDir, 'join-tokens'), `voter ${voter.token}\nworker ${worker.token}\n`, {
    mode: 0o600,
  });
  return {
    clusterId,
    apiAddress,
    adminToken,
    voterToken: voter.token,
    workerToken: worker.token,
    tokensExpireAt: expiresAt.toISOString(),
    kubeconfig,
  };
}
