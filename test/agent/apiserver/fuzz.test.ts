/**
 * API fuzz: thousands of malformed requests, generated from a fixed seed. Every one must get a
 * 4xx Status, none may change the store, and the server must stay up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployment, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.call('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment('web') });
  await h.call('POST', '/api/v1/namespaces/default/configmaps', {
    body: { metadata: { name: 'cm' }, data: { a: '1' } },
  });
});
afterAll(async () => {
  await h.close();
});

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Attempt {
  readonly method: string;
  readonly path: string;
  readonly raw?: string;
  readonly contentType?: string;
  readonly token?: string | null;
  readonly accept?: string;
}

const deploys = '/apis/apps/v1/namespaces/default/deployments';
const cms = '/api/v1/namespaces/default/configmaps';
const valid = JSON.stringify(deployment('fresh'));

function generate(random: () => number): Attempt {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const cut = (s: string): string => s.slice(0, 1 + Math.floor(random() * (s.length - 2)));
  const junk = (n: number): string =>
    Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 127))).join('');
  switch (Math.floor(random() * 10)) {
    case 0:
      return { method: 'POST', path: deploys, raw: cut(valid), contentType: 'application/json' };
    case 1:
      return {
        method: 'POST',
        path: cms,
        raw: pick(['a: [1', 'metadata: {name: x', '- a\n- b', ': :', 'a: 1\n---\nb: 2', '\t- x']),
        contentType: 'application/yaml',
      };
    case 2: {
      const kind = pick(['Secret', 'Pod', 'Deployment', 'Frob', 7, null]);
      return {
        method: 'POST',
        path: cms,
        raw: JSON.stringify({ apiVersion: 'v1', kind, metadata: { name: 'k' } }),
        contentType: 'application/json',
      };
    }
    case 3: {
      const name = pick([
        'Upper',
        'under_score',
        '-lead',
        'trail-',
        'a'.repeat(254),
        'sp ace',
        'dot..dot',
        '',
        'ünï',
        `${junk(5)}!`,
      ]);
      return {
        method: 'POST',
        path: cms,
        raw: JSON.stringify({ metadata: { name } }),
        contentType: 'application/json',
      };
    }
    case 4: {
      const body = pick([
        JSON.stringify([
          {
            op: pick(['frob', 'add', 'remove', 'move']),
            path: pick(['nope', '/spec/nope/x', '/metadata/labels/~2']),
          },
        ]),
        JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 999 }]),
        JSON.stringify({ op: 'add' }),
        cut('[{"op":"replace","path":"/spec/replicas","value":3}]'),
      ]);
      return {
        method: 'PATCH',
        path: `${deploys}/web`,
        raw: body,
        contentType: 'application/json-patch+json',
      };
    }
    case 5: {
      const body = pick([
        JSON.stringify({ spec: { $patch: pick(['frob', 1, 'explode']) } }),
        JSON.stringify({ spec: { template: { spec: { containers: [{ image: 'no-merge-key' }] } } } }),
        JSON.stringify({ spec: { strategy: { $retainKeys: 'type' } } }),
        JSON.stringify({ spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }),
        JSON.stringify({ metadata: { name: 'renamed' } }),
        JSON.stringify([1, 2]),
        junk(20),
      ]);
      const type = pick([
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
        'text/plain',
      ]);
      if (random() < 0.3) {
        // Merge patches that are well-formed but leave an invalid object: validation rejects them.
        const merge = pick([
          JSON.stringify({ spec: { template: { spec: { containers: [{ image: 'nameless' }] } } } }),
          JSON.stringify({ spec: { replicas: pick([-1, 'two', 1.5]) } }),
          JSON.stringify({ spec: { selector: { matchLabels: { other: 'x' } } } }),
          JSON.stringify({ metadata: { labels: { 'bad key!': 'v' } } }),
          JSON.stringify([1, 2]),
        ]);
        return {
          method: 'PATCH',
          path: `${deploys}/web`,
          raw: merge,
          contentType: 'application/merge-patch+json',
        };
      }
      return { method: 'PATCH', path: `${deploys}/web`, raw: body, contentType: type };
    }
    case 6: {
      const selector = pick([
        'labelSelector=a%20in%20(',
        'labelSelector=a%20in%20x',
        'labelSelector=!',
        'labelSelector=a%3D%3D%3Db',
        'fieldSelector=spec.frob%3D1',
        'fieldSelector=metadata.name',
        'limit=-3',
        'limit=abc',
        'timeoutSeconds=x',
        'watch=maybe',
        'continue=%25%25%25',
      ]);
      return { method: 'GET', path: `${deploys}?${selector}` };
    }
    case 7:
      return {
        method: pick(['GET', 'DELETE', 'POST', 'PATCH']),
        path: pick([deploys, `${deploys}/web`, cms]),
        token: pick([null, '', 'wrong', junk(43).replace(/[^A-Za-z0-9]/g, 'x'), 'Bearer']),
      };
    case 8:
      return {
        method: pick(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS']),
        path: pick([
          '/api/v2',
          '/apis/frob/v1/things',
          `${deploys}/web/frob`,
          '/api/v1/namespaces/default/nodes',
          '/api/v1/pods/x',
          `/${junk(8).replace(/[^a-z]/g, 'q')}`,
          `${deploys}/web/scale/extra`,
        ]),
        raw: pick(['', '{}']),
        contentType: 'application/json',
      };
    default: {
      const body = pick([
        JSON.stringify({ ...deployment('web'), metadata: { name: 'web', resourceVersion: '1' } }),
        JSON.stringify({ metadata: { name: 'other' } }),
        JSON.stringify({ kind: 'Scale', spec: { replicas: pick([-1, 'three', 1.5, null]) } }),
        JSON.stringify({ metadata: { name: 'web', namespace: 'elsewhere' } }),
      ]);
      return {
        method: 'PUT',
        path: pick([`${deploys}/web`, `${deploys}/web/scale`]),
        raw: body,
        contentType: 'application/json',
      };
    }
  }
}

describe('API fuzz', () => {
  it('answers 2,000 malformed requests with 4xx Status objects and changes nothing', async () => {
    const random = prng(20261123);
    const attempts = Array.from({ length: 2_000 }, () => generate(random));
    // A few oversized bodies too (3 MiB + 1 byte).
    for (let i = 0; i < 4; i++) {
      attempts.push({
        method: 'POST',
        path: cms,
        raw: `{"metadata":{"name":"big"},"data":{"a":"${'x'.repeat(3 * 1024 * 1024)}"}}`,
        contentType: 'application/json',
      });
    }
    const revision = h.store.revision;
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < attempts.length) {
        const a = attempts[next++]!;
        const reply = await h.call(a.method, a.path, {
          ...(a.raw !== undefined ? { raw: a.raw } : {}),
          ...(a.token !== undefined ? { token: a.token } : {}),
          headers: {
            ...(a.contentType ? { 'Content-Type': a.contentType } : {}),
            ...(a.accept ? { Accept: a.accept } : {}),
          },
        });
        const statusBody = reply.json?.kind === 'Status' && reply.json.code === reply.status;
        const isWatchError = reply.status === 200 && reply.text.startsWith('{"type":"ERROR"');
        if (!((reply.status >= 400 && reply.status < 500 && statusBody) || isWatchError)) {
          failures.push(
            `${a.method} ${a.path} ${a.contentType ?? ''} ${String(a.raw).slice(0, 80)} -> ${reply.status} ${reply.text.slice(0, 120)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(failures).toEqual([]);
    expect(h.store.revision).toBe(revision);
    expect((await h.call('GET', '/version')).status).toBe(200);
    expect((await h.call('GET', `${deploys}/web`)).json.spec.replicas).toBe(2);
  });
});
