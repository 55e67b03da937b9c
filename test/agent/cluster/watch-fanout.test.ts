/**
 * Watch fan-out through the real stack: a 3-voter in-process cluster (memory transport, real
 * WALs, production tick and election timing), one API server per voter over ReplicatedBackend,
 * N watch streams opened at once and spread over the three (200 in CI; KEDGE_WATCH_FANOUT=1000
 * for the full size). Every stream must get its ADDED, then exactly one MODIFIED for one update,
 * no ERROR, and the leader must survive the burst: one ReadIndex per watch used to mean N
 * heartbeat broadcasts at once, which blocked the event loop past the election timeout.
 * Plain HTTP: the TLS side is measured by bench/apiserver/api-vs-consensus.ts.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import { apiAdmission } from '../../../agent/src/apiserver/api-admission.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';
import type { AppliedResult } from '../../../agent/src/cluster/replicated-state.ts';
import type { RaftNode } from '../../../consensus/src/node/raft-node.ts';
import { type MemoryVoters, startMemoryVoters } from '../../support/memory-voters.ts';

const WATCHERS = Number(process.env.KEDGE_WATCH_FANOUT ?? 200);
const BASE = '/api/v1/namespaces/default/configmaps';
const NAME = 'fanout-target';

let cluster: MemoryVoters | undefined;
let nodes: RaftNode<AppliedResult>[];
let servers: ApiServer[];
let ports: number[];
let token: string;
let readIndexRounds = 0;

function call(
  port: number,
  method: string,
  p: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the test reads replies by path
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: p,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Watcher {
  readonly events: { type: string; n?: string }[];
  readonly closed: Promise<void>;
  stop(): void;
}

/** One watch stream; `added` resolves on its first event (the ADDED of the current state). */
function openWatch(port: number, added: () => void): Watcher {
  const events: Watcher['events'] = [];
  let closed!: () => void;
  const done = new Promise<void>((r) => {
    closed = r;
  });
  const req = request(
    {
      host: '127.0.0.1',
      port,
      path: `${BASE}?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${NAME}`)}`,
      agent: false,
      headers: { authorization: `Bearer ${token}` },
    },
    (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const event = JSON.parse(buffered.slice(0, nl)) as {
            type: string;
            object: { data?: { n?: string } };
          };
          buffered = buffered.slice(nl + 1);
          events.push({ type: event.type, ...(event.object.data?.n ? { n: event.object.data.n } : {}) });
          if (events.length === 1) added();
        }
      });
      res.on('close', closed);
      res.on('error', () => undefined); // stop() aborts the stream
    },
  );
  req.on('error', (error) => {
    events.push({ type: `request error: ${error.message}` });
    added();
    closed();
  });
  req.end();
  return { events, closed: done, stop: () => req.destroy() };
}

beforeAll(async () => {
  const authenticator = new TokenAuthenticator();
  token = authenticator.issue({ name: 'admin', groups: ['system:authenticated'] }).token;
  const authorizer = new RoleAuthorizer([{ role: 'cluster-admin', user: 'admin' }]);
  servers = [];
  ports = [];
  // Production timing: a spurious election during the burst would be a failure here.
  cluster = await startMemoryVoters({
    timing: 'production',
    // Counts the ReadIndex rounds the API's reads and watches cost.
    backendNode: (node) => ({
      propose: node.propose.bind(node),
      readIndex: () => {
        readIndexRounds++;
        return node.readIndex();
      },
    }),
  });
  nodes = cluster.voters.map((v) => v.node);
  for (const v of cluster.voters) {
    const api = createApiServer({
      backend: v.backend,
      resources: RESOURCES,
      authenticator,
      authorizer,
      admission: apiAdmission,
      version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
      requestTimeoutMs: 5_000,
    });
    servers.push(api);
    ports.push((await api.listen(0, '127.0.0.1')).port);
  }
  await cluster.waitForLeader(10_000);
  const ns = await call(ports[0]!, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'default' },
  });
  expect(ns.status).toBe(201);
}, 20_000);

afterAll(async () => {
  for (const api of servers ?? []) await api.close();
  await cluster?.close();
});

describe(`watch fan-out over 3 voters (${WATCHERS} watchers)`, () => {
  it('every watcher gets its ADDED and exactly one MODIFIED; the burst costs few ReadIndex rounds and no election', async () => {
    const created = await call(ports[0]!, 'POST', BASE, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: NAME },
      data: { n: '0' },
    });
    expect(created.status).toBe(201);
    const term = Math.max(...nodes.map((n) => n.status().term));
    const roundsBefore = readIndexRounds;

    let ready = 0;
    let allReady!: () => void;
    const everyAdded = new Promise<void>((r) => {
      allReady = r;
    });
    const watchers = Array.from({ length: WATCHERS }, (_, i) =>
      openWatch(ports[i % 3]!, () => {
        if (++ready === WATCHERS) allReady();
      }),
    );
    try {
      await everyAdded;
      const first = watchers.map((w) => w.events[0]?.type);
      expect(first.filter((t) => t !== 'ADDED')).toEqual([]);
      // Without sharing, every watch was a round of its own.
      expect(readIndexRounds - roundsBefore).toBeLessThan(WATCHERS / 4);

      const current = await call(ports[0]!, 'GET', `${BASE}/${NAME}`);
      const updated = await call(ports[0]!, 'PUT', `${BASE}/${NAME}`, { ...current.json, data: { n: '1' } });
      expect(updated.status).toBe(200);
      const deadline = Date.now() + 20_000;
      while (watchers.some((w) => w.events.length < 2) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      // A moment for any duplicate or stray event to show up.
      await new Promise((r) => setTimeout(r, 200));
      const wrong = watchers
        .map((w, i) => ({ i, events: w.events }))
        .filter(
          ({ events }) => events.length !== 2 || events[1]?.type !== 'MODIFIED' || events[1]?.n !== '1',
        );
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(Math.max(...nodes.map((n) => n.status().term))).toBe(term);
    } finally {
      for (const w of watchers) w.stop();
      await Promise.all(watchers.map((w) => w.closed));
    }
  }, 60_000);
});
