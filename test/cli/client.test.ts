/** The REST client against a minimal fake server: retries during an election, watch resumption. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveResource } from '../../agent/src/api/registry.ts';
import { KubeClient } from '../../cli/src/client/kube-client.ts';
import { Transport } from '../../cli/src/client/transport.ts';

const pods = resolveResource('pods')!;
let close: (() => void) | undefined;
afterEach(() => close?.());

async function fake(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ client: KubeClient; waits: number[] }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const waits: number[] = [];
  const transport = new Transport(
    { server: new URL(`http://127.0.0.1:${port}`), namespace: 'default', insecureSkipTlsVerify: false },
    { maxWaitMs: 5_000, sleep: async (ms) => void waits.push(ms) },
  );
  const client = new KubeClient(transport, 'default');
  close = () => {
    client.close();
    server.closeAllConnections();
    server.close();
  };
  return { client, waits };
}

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('KubeClient', () => {
  it('waits out 503s for the Retry-After the server asks (an agent mid-election)', async () => {
    let calls = 0;
    const { client, waits } = await fake((_req, res) => {
      if (++calls < 3) {
        res.writeHead(503, { 'Retry-After': '2', 'Content-Type': 'application/json' });
        res.end(status(503, 'ServiceUnavailable', 'no leader'));
        return;
      }
      res.end(JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } }));
    });
    expect((await client.get(pods, 'default', 'p')).metadata.name).toBe('p');
    expect(waits).toEqual([2000, 2000]);
  });

  it('turns a Status into kubectl wording and does not retry a 404', async () => {
    const { client, waits } = await fake((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(status(404, 'NotFound', 'pods "nope" not found'));
    });
    await expect(client.get(pods, 'default', 'nope')).rejects.toMatchObject({
      display: 'Error from server (NotFound): pods "nope" not found',
      code: 404,
    });
    expect(waits).toEqual([]);
  });

  it('resumes a cut watch from the last resourceVersion, and re-lists after 410 Expired', async () => {
    const seen: (string | null)[] = [];
    const { client } = await fake((req, res) => {
      const rv = new URL(req.url ?? '', 'http://x').searchParams.get('resourceVersion');
      seen.push(rv);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const ev = (type: string, name: string, v: string) =>
        `${JSON.stringify({ type, object: { metadata: { name, resourceVersion: v } } })}\n`;
      if (rv === '10')
        res.end(ev('ADDED', 'a', '11') + ev('MODIFIED', 'a', '12')); // stream ends: server timeout
      else if (rv === '12')
        res.end(
          `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old' } })}\n`,
        );
      else if (rv === '50') res.end(ev('DELETED', 'a', '51'));
      else res.end();
    });
    const names: string[] = [];
    const stop = new AbortController();
    for await (const e of client.watch(pods, 'default', {
      resourceVersion: '10',
      signal: stop.signal,
      relist: async () => '50',
    })) {
      names.push(`${e.type}:${e.object.metadata.resourceVersion}`);
      if (e.type === 'DELETED') stop.abort();
    }
    expect(names).toEqual(['ADDED:11', 'MODIFIED:12', 'DELETED:51']);
    expect(seen.slice(0, 3)).toEqual(['10', '12', '50']);
  });

  it('explains a refused connection after retrying for a while', async () => {
    const { client } = await fake((_req, res) => res.end('{}'));
    const dead = new KubeClient(
      new Transport(
        { server: new URL('http://127.0.0.1:1'), namespace: 'default', insecureSkipTlsVerify: false },
        { maxWaitMs: 600, sleep: async () => {} },
      ),
      'default',
    );
    await expect(dead.get(pods, 'default', 'p')).rejects.toMatchObject({
      kind: 'Connection',
      message: expect.stringContaining('is the agent running?'),
    });
    dead.close();
    client.close();
  });
});
