// Reading as kubectl get does: Tables, and watch (replay, bookmarks, -w Tables, slow readers, 410 Expired).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, deploymentsPath, type Harness, startHarness, tableAccept } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('tables', () => {
  it('answers kubectl get with a Table of the kind columns', async () => {
    await h.call('POST', deploymentsPath, { body: deployment('tabled', 1) });
    const table = (await h.call('GET', deploymentsPath, { headers: { Accept: tableAccept } })).json;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 5)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
    ]);
    const row = table.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'tabled');
    expect(row.cells.slice(0, 4)).toEqual(['tabled', '0/1', 0, 0]);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tabled' } });
    expect(table.metadata.resourceVersion).toBeDefined();
    const one = (await h.call('GET', `${deploymentsPath}/tabled`, { headers: { Accept: tableAccept } })).json;
    expect(one.rows).toHaveLength(1);
    const cm = (
      await h.call('GET', '/api/v1/namespaces/default/configmaps', {
        headers: { Accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' },
      })
    ).json;
    expect(cm.apiVersion).toBe('meta.k8s.io/v1beta1');
  });
});

describe('watch', () => {
  function openWatch(
    path: string,
    accept = 'application/json',
  ): Promise<{ lines: string[]; closed: Promise<void>; stop: () => void; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      let closeResolve: () => void;
      const closed = new Promise<void>((r) => {
        closeResolve = r;
      });
      const req = request(
        {
          host: '127.0.0.1',
          port: h.port,
          path,
          headers: { Authorization: `Bearer ${h.adminToken}`, Accept: accept },
        },
        (res) => {
          let buffer = '';
          res.on('data', (c: Buffer) => {
            buffer += c.toString();
            const parts = buffer.split('\n');
            buffer = parts.pop() ?? '';
            lines.push(...parts);
          });
          res.on('end', () => closeResolve());
          res.on('error', () => closeResolve());
          resolve({ lines, closed, stop: () => req.destroy(), headers: res.headers });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  const until = async (check: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  };

  it('replays from a resourceVersion, then streams live changes, filtered by field selector', async () => {
    const created = (
      await h.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w1' } } })
    ).json;
    const rv = created.metadata.resourceVersion;
    await h.call('PATCH', '/api/v1/namespaces/default/configmaps/w1', {
      raw: '{"data":{"k":"1"}}',
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const w = await openWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dw1`,
    );
    expect(w.headers['content-type']).toBe('application/json');
    await until(() => w.lines.length >= 1);
    expect(JSON.parse(w.lines[0]!)).toMatchObject({ type: 'MODIFIED', object: { data: { k: '1' } } });
    await h.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'w2' } } });
    await h.call('DELETE', '/api/v1/namespaces/default/configmaps/w1');
    await until(() => w.lines.length >= 2);
    const deleted = JSON.parse(w.lines[1]!);
    expect(deleted.type).toBe('DELETED');
    expect(Number(deleted.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(w.lines.every((l) => JSON.parse(l).object.metadata.name === 'w1')).toBe(true);
    w.stop();
    await w.closed;
  });

  it('forwards bookmarks to watchers that allow them', async () => {
    const w = await openWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=' +
        String(h.store.revision),
    );
    await until(() => h.store.watcherCount > 0);
    h.store.bookmark();
    await until(() => w.lines.length >= 1);
    expect(JSON.parse(w.lines[0]!)).toMatchObject({
      type: 'BOOKMARK',
      object: {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(h.store.revision) },
      },
    });
    w.stop();
    await w.closed;
    await until(() => h.store.watcherCount === 0);
  });

  it('sends one-row Tables to get -w, ends at timeoutSeconds, and drops watchers that leave', async () => {
    const w = await openWatch(
      '/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1',
      tableAccept,
    );
    await until(() => w.lines.length >= 1);
    const first = JSON.parse(w.lines[0]!);
    expect(first.type).toBe('ADDED');
    expect(first.object).toMatchObject({ kind: 'Table' });
    expect(first.object.rows).toHaveLength(1);
    const t0 = Date.now();
    await w.closed;
    expect(Date.now() - t0).toBeLessThan(2_000);
    await until(() => h.store.watcherCount === 0);
  });

  it('cuts off a watcher that does not read once its queue passes the limit', async () => {
    const small = await startHarness({ watchLimits: { maxTimeoutSeconds: 60, maxBufferedBytes: 64 * 1024 } });
    try {
      const ended = new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: small.port,
            path: '/api/v1/namespaces/default/configmaps?watch=true',
            headers: { Authorization: `Bearer ${small.adminToken}` },
          },
          (res) => {
            res.pause(); // a client that never reads
            res.on('close', () => resolve());
          },
        );
        req.on('error', reject);
        req.end();
      });
      await until(() => small.store.watcherCount === 1);
      const big = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 40 && small.store.watcherCount > 0; i++) {
        await small.call('POST', '/api/v1/namespaces/default/configmaps', {
          body: { metadata: { name: `big-${i}` }, data: { a: big } },
        });
      }
      await until(() => small.store.watcherCount === 0);
      await ended;
    } finally {
      await small.close();
    }
  });

  it('reports a too-old resourceVersion as an ERROR event with 410 Expired, and a bad one as 400', async () => {
    const small = await startHarness({ historyCapacity: 3 });
    try {
      for (const name of ['a', 'b', 'c', 'd', 'e']) {
        await small.call('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name } } });
      }
      const expired = await small.call(
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1',
      );
      expect(expired.status).toBe(200);
      expect(JSON.parse(expired.text.split('\n')[0]!)).toMatchObject({
        type: 'ERROR',
        object: { kind: 'Status', reason: 'Expired', code: 410 },
      });
      const bad = await small.call(
        'GET',
        '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc',
      );
      expect(JSON.parse(bad.text.split('\n')[0]!)).toMatchObject({ type: 'ERROR', object: { code: 400 } });
    } finally {
      await small.close();
    }
  });
});
