import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { GossipError } from './gossip-error.ts';

const KEY_FILE = 'node-key';

/** A node's gossip identity: its Ed25519 key, and the libp2p peer id derived from it. */
export interface NodeIdentity {
  readonly privateKey: PrivateKey;
  /** The peer id as a string: what the cluster member list records against the node name. */
  readonly peerId: string;
}

/**
 * Loads the node's key from `<dataDir>/node-key`, or creates and persists one (mode 0600, written
 * atomically). The key must survive restarts: the peer id derived from it is how the rest of the
 * cluster admits this node.
 */
export async function loadOrCreateNodeIdentity(dataDir: string): Promise<NodeIdentity | GossipError> {
  const path = join(dataDir, KEY_FILE);
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      return new GossipError('Unavailable', `cannot read node key ${path}: ${String(err)}`, { cause: err });
    }
  }
  if (bytes) {
    try {
      const privateKey = privateKeyFromProtobuf(bytes);
      return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
    } catch (err) {
      return new GossipError(
        'Invalid',
        `node key ${path} is corrupt (${String(err)}); restore it from backup, or delete it and re-register the node's new peer id in the member list`,
      );
    }
  }
  const privateKey = await generateKeyPair('Ed25519');
  await mkdir(dataDir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(privateKeyToProtobuf(privateKey));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
}
