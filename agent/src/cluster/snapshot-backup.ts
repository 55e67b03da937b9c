/**
 * `kedge snapshot save FILE`: a consistent backup of the cluster, streamed from the leader.
 *
 *   CLI ── GET /kedge/v1/snapshot (admin) ──> any voter ── 503 + X-Kedge-Leader ──> the leader
 *   leader: readIndex() (it still leads, and has applied everything committed before the call)
 *           -> ReplicatedState.snapshot() in the same turn of the event loop (nothing is applied
 *              in between, so the bytes are exactly the state at that index)
 *           -> preamble (cluster id, index, revision, size, SHA-256) + bytes, written in 64 KiB
 *              chunks as the socket drains
 *   CLI:    streams into FILE.part (mode 0600: it holds Secrets), checks size and checksum,
 *           renames to FILE: a file named FILE is always a whole, verified snapshot
 */

import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { ConsensusError } from '../../../consensus/src/types.ts';
import type { DatastoreConfig } from '../store-etcd/datastore.ts';
import { splitHostPort } from './agent-client.ts';
import type { VoterControl } from './cluster-endpoint.ts';
import { HttpProblem, RESPONDED } from './endpoint-http.ts';
import {
  decodeSnapshotFile,
  encodeSnapshotPreamble,
  SnapshotFileError,
  type SnapshotHeader,
} from './snapshot-file.ts';

const CHUNK = 64 * 1024;

/** On the leader: answers GET /kedge/v1/snapshot with a snapshot file. */
export async function serveSnapshot(voter: VoterControl, res: ServerResponse): Promise<typeof RESPONDED> {
  // With an external datastore the Raft state holds the registry but no object: a file of it would
  // restore into an empty cluster, so refuse and point at the tool that backs up the objects.
  if (voter.datastore !== undefined)
    throw new HttpProblem(400, 'BadRequest', externalDatastoreRefusal(voter.datastore));
  try {
    await voter.raft.readIndex();
  } catch (error) {
    if (error instanceof ConsensusError) throw new HttpProblem(503, 'ServiceUnavailable', error.message);
    throw error;
  }
  // Synchronous from here to the preamble: no entry is applied between the two reads.
  const payload = voter.state.snapshot();
  const status = voter.raft.status();
  const preamble = encodeSnapshotPreamble(
    {
      clusterId: voter.state.registry.clusterId,
      raftIndex: status.applied,
      term: status.term,
      revision: voter.state.store.revision,
      takenAt: new Date().toISOString(),
    },
    payload,
  );
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': preamble.length + payload.length,
    'Cache-Control': 'no-store',
  });
  await writeChunk(res, preamble);
  for (let offset = 0; offset < payload.length; offset += CHUNK) {
    if (res.destroyed) break;
    await writeChunk(res, payload.subarray(offset, offset + CHUNK));
  }
  res.end();
  return RESPONDED;
}

/** Why `kedge snapshot save` refuses an etcd-backed cluster, and what to run instead. */
export function externalDatastoreRefusal(datastore: DatastoreConfig): string {
  const endpoints = datastore.endpoints.join(',');
  const tls = datastore.tls === undefined ? '' : ' --cacert CA --cert CERT --key KEY';
  return (
    `this cluster keeps its objects in an external etcd (${endpoints}, prefix ${datastore.keyPrefix}), which kedge snapshot save does not cover: ` +
    `back up etcd itself with \`ETCDCTL_API=3 etcdctl --endpoints ${endpoints}${tls} snapshot save FILE\` ` +
    `and keep each agent's data directory (cluster key, certificates, registry)`
  );
}

function writeChunk(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (res.write(chunk)) resolve();
    else {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.once('drain', done);
      res.once('close', done);
    }
  });
}

export interface SaveSnapshotOptions {
  readonly address: string;
  readonly caPem: string;
  readonly token: string;
  readonly file: string;
  readonly timeoutMs?: number;
}

/** The CLI's side: downloads a snapshot from the leader into `file`, verified. */
export async function saveSnapshot(options: SaveSnapshotOptions): Promise<SnapshotHeader> {
  const part = `${options.file}.part`;
  let address = options.address;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const res = await get(address, options);
    if (res.statusCode === 200) {
      try {
        await pipeline(res, createWriteStream(part, { mode: 0o600 }));
        const decoded = decodeSnapshotFile(await readFile(part));
        if (decoded instanceof SnapshotFileError) throw decoded;
        await rename(part, options.file);
        return decoded.header;
      } catch (error) {
        await rm(part, { force: true });
        throw error;
      }
    }
    const body = await readAll(res);
    const leader = res.headers['x-kedge-leader'];
    if (res.statusCode === 503 && Date.now() < deadline) {
      if (typeof leader === 'string') address = leader;
      else await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    let message = body;
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? body;
    } catch (error) {
      message = `${body} (${(error as Error).message})`;
    }
    throw new SnapshotFileError(`${address} refused the snapshot (HTTP ${res.statusCode}): ${message}`);
  }
}

function get(address: string, o: SaveSnapshotOptions): Promise<IncomingMessage> {
  const [host, port] = splitHostPort(address);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path: '/kedge/v1/snapshot',
        method: 'GET',
        agent: false,
        ca: o.caPem,
        headers: { Authorization: `Bearer ${o.token}` },
      },
      resolve,
    );
    req.setTimeout(o.timeoutMs ?? 60_000, () =>
      req.destroy(new Error(`${address} stopped sending the snapshot`)),
    );
    req.on('error', reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
