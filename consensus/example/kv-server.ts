// One member of a replicated key-value store: a RaftNode (TCP or mutual-TLS transport, real WAL)
// with an HTTP API. Used by the multi-process tests and the benchmark against etcd.
//
//   node_modules/.bin/node consensus/example/kv-server.ts --id 1 \
//     --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003 --data /tmp/kv1 --http 127.0.0.1:8001 \
//     [--tls-dir DIR] [--tick-ms 100] [--election-tick 5] [--heartbeat-tick 1] [--snapshot-entries 10000]
//
//   PUT /kv/<key>  (body = value)  -> 200 {"index":n} once applied here; 503 {"error","leader"}; 504 on timeout
//   GET /kv/<key>                  -> 200 value after a ReadIndex barrier (linearizable); 404 if absent
//   GET /status                    -> 200 the node's status as JSON
// On start it prints one line {"event":"listening","http":port,"raft":port} on stdout.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stderrLogger } from '../src/node/logger.ts';
import { createRaftNode } from '../src/node/raft-node.ts';
import { parseAddress } from '../src/transport/peer-link.ts';
import { createTcpTransport } from '../src/transport/tcp-transport.ts';
import { ConsensusError, type NodeId } from '../src/types.ts';
import { createKvStateMachine, encodePut } from './kv-state-machine.ts';

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    peers: { type: 'string' },
    data: { type: 'string' },
    http: { type: 'string' },
    'tls-dir': { type: 'string' },
    'tick-ms': { type: 'string', default: '100' },
    'election-tick': { type: 'string', default: '5' },
    'heartbeat-tick': { type: 'string', default: '1' },
    'snapshot-entries': { type: 'string', default: '10000' },
    verbose: { type: 'boolean', default: false },
  },
});

function required(name: string, value: string | undefined): string {
  if (!value) {
    process.stderr.write(`kv-server: --${name} is required (see the usage at the top of kv-server.ts)\n`);
    process.exit(2);
  }
  return value;
}

const id = Number(required('id', values.id));
const peers = new Map<NodeId, string>(
  required('peers', values.peers)
    .split(',')
    .map((pair) => {
      const [peerId, address] = pair.split('=');
      if (!peerId || !address) throw new Error(`bad --peers item ${JSON.stringify(pair)}: want id=host:port`);
      return [Number(peerId), address] as const;
    }),
);
const ownAddress = peers.get(id);
if (!ownAddress) throw new Error(`--peers does not list this node's id ${id}`);
const httpAddress = parseAddress(required('http', values.http));
const tlsDir = values['tls-dir'];
const logger = stderrLogger(`kv-${id}`, values.verbose);

const tls = tlsDir
  ? {
      key: readFileSync(path.join(tlsDir, `node-${id}-cluster.key`)),
      cert: readFileSync(path.join(tlsDir, `node-${id}-cluster.pem`)),
      ca: readFileSync(path.join(tlsDir, 'ca-cluster.pem')),
    }
  : undefined;

const transport = await createTcpTransport({ id, listen: ownAddress, tls, logger });
const kv = createKvStateMachine();
const node = createRaftNode({
  id,
  peers,
  dataDir: required('data', values.data),
  transport,
  stateMachine: kv,
  tickMs: Number(values['tick-ms']),
  electionTick: Number(values['election-tick']),
  heartbeatTick: Number(values['heartbeat-tick']),
  snapshotEntries: Number(values['snapshot-entries']),
  logger,
});
node.on('leader', ({ leader, term }) => logger.info('leader', { leader, term }));
node.on('stopped', ({ error }) => {
  // A node that stopped on its own (failed fsync, corrupt log) must not keep serving: exit, and
  // let the supervisor restart it from its WAL.
  if (error) {
    logger.error('raft node failed; exiting', { error: error.message });
    process.exit(1);
  }
});
await node.start();

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function replyError(res: http.ServerResponse, error: unknown): void {
  if (error instanceof ConsensusError) {
    const status = error.kind === 'Timeout' ? 504 : error.kind === 'Corrupt' ? 500 : 503;
    reply(res, status, { error: error.kind, message: error.message, leader: error.leader });
    return;
  }
  logger.error('request failed', { error: (error as Error).message });
  reply(res, 500, { error: 'Internal', message: (error as Error).message });
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = req.url ?? '/';
    if (url === '/status' && req.method === 'GET') {
      reply(res, 200, { ...node.status(), keys: kv.size, pid: process.pid });
      return;
    }
    if (url.startsWith('/kv/')) {
      const key = decodeURIComponent(url.slice(4));
      if (req.method === 'PUT') {
        const value = await readBody(req);
        const index = await node.propose(encodePut(key, value));
        reply(res, 200, { index });
        return;
      }
      if (req.method === 'GET') {
        await node.readIndex();
        const value = kv.get(key);
        if (value === undefined) reply(res, 404, { error: 'NotFound', message: `no key ${key}` });
        else {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': value.length });
          res.end(value);
        }
        return;
      }
    }
    reply(res, 404, { error: 'NotFound', message: `no route ${req.method} ${url}` });
  } catch (error) {
    replyError(res, error);
  }
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(httpAddress.port, httpAddress.host, resolve));
const bound = server.address() as { port: number };
process.stdout.write(
  `${JSON.stringify({ event: 'listening', http: bound.port, raft: transport.address.port })}\n`,
);

const shutdown = async (signal: string): Promise<void> => {
  logger.info('shutting down', { signal });
  server.close();
  await node.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
