import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContainerEvent } from '../../../agent/src/runtime/container-events.ts';
import { InspectCache, listingKey } from '../../../agent/src/runtime/container-listing.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { apiError, LIBPOD, libpodClient } from '../../../agent/src/runtime/libpod-client.ts';
import { containerCreateSpec, podCreateSpec, rlimit } from '../../../agent/src/runtime/libpod-specs.ts';
import { RuntimeError } from '../../../agent/src/runtime/podman-cli.ts';

const sandbox = { id: 'pod123', uid: 'uid-1', name: 'web', namespace: 'prod' };

describe('libpod request bodies', () => {
  it('a pod carries ownership labels, the infra name, ports and DNS', () => {
    const spec = podCreateSpec(
      'kedge_prod_web_uid-1',
      {
        name: 'web',
        uid: 'uid-1',
        namespace: 'prod',
        labels: { app: 'web' },
        hostname: 'web',
        portMappings: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'TCP' }],
        dns: { servers: ['10.0.0.10'], searches: ['prod.svc'], options: ['ndots:5'] },
      },
      'node-a',
    );
    expect(spec.name).toBe('kedge_prod_web_uid-1');
    expect(spec.infra_name).toBe('kedge_prod_web_uid-1_pause');
    expect(spec.labels).toMatchObject({
      app: 'web',
      [LABEL.managedBy]: 'kedge',
      [LABEL.node]: 'node-a',
      [LABEL.role]: 'sandbox',
      [LABEL.podUid]: 'uid-1',
    });
    expect(spec.portmappings).toEqual([
      { host_ip: '127.0.0.1', host_port: 8080, container_port: 80, protocol: 'tcp' },
    ]);
    expect(spec).toMatchObject({
      dns_server: ['10.0.0.10'],
      dns_search: ['prod.svc'],
      dns_option: ['ndots:5'],
    });
  });

  it('command replaces the entrypoint, args the cmd; limits, mounts, user and ulimits are carried', () => {
    const spec = containerCreateSpec(
      'kedge_prod_web_uid-1_main_2',
      sandbox,
      {
        name: 'main',
        image: 'localhost/kedge/busybox:latest',
        command: ['sh', '-c'],
        args: ['echo hi'],
        env: { A: '1' },
        mounts: [
          { hostPath: '/data/a', containerPath: '/a', readOnly: true },
          { hostPath: '/data/b', containerPath: '/b', readOnly: false },
        ],
        memoryLimitBytes: 64 * 2 ** 20,
        cpuLimit: 0.5,
        workingDir: '/w',
        user: '1000:1000',
        attempt: 2,
      },
      { nodeName: 'node-a', ulimits: ['nofile=1024:2048', 'nproc=512'] },
    );
    expect(spec).toMatchObject({
      pod: 'pod123',
      entrypoint: ['sh', '-c'],
      command: ['echo hi'],
      env: { A: '1' },
      work_dir: '/w',
      user: '1000:1000',
      resource_limits: { memory: { limit: 67108864, swap: 67108864 }, cpu: { quota: 50000, period: 100000 } },
      r_limits: [
        { type: 'nofile', soft: 1024, hard: 2048 },
        { type: 'nproc', soft: 512, hard: 512 },
      ],
    });
    expect(spec.mounts).toEqual([
      { destination: '/a', source: '/data/a', type: 'bind', options: ['rbind', 'ro'] },
      { destination: '/b', source: '/data/b', type: 'bind', options: ['rbind', 'rw'] },
    ]);
    expect(spec.labels).toMatchObject({
      [LABEL.sandboxId]: 'pod123',
      [LABEL.containerName]: 'main',
      [LABEL.containerAttempt]: '2',
    });
  });

  it('without command or args the image keeps its own entrypoint and cmd', () => {
    const spec = containerCreateSpec(
      'n',
      sandbox,
      { name: 'main', image: 'img' },
      { nodeName: 'n', ulimits: [] },
    );
    expect(spec).not.toHaveProperty('entrypoint');
    expect(spec).not.toHaveProperty('command');
    expect(spec).not.toHaveProperty('resource_limits');
  });

  it('reads ulimits in the CLI form and rejects others', () => {
    expect(rlimit('nofile=1024:1024')).toEqual({ type: 'nofile', soft: 1024, hard: 1024 });
    expect(rlimit('host')).toBeUndefined();
  });
});

describe('listing that inspects only what changed', () => {
  const summary = (id: string, state: string, startedAt = 100) => ({
    Id: id,
    State: state,
    StartedAt: startedAt,
  });
  const inspected = (id: string, state: string) => ({ Id: id, State: { Status: state } });

  it('inspects new and changed containers, answers unchanged ones from memory', async () => {
    const cache = new InspectCache();
    const calls: string[][] = [];
    const inspect = async (ids: string[]) => {
      calls.push(ids);
      return ids.map((id) => inspected(id, id === 'b' && calls.length > 1 ? 'exited' : 'running'));
    };
    const first = await cache.resolve([summary('a', 'running'), summary('b', 'running')], inspect);
    expect(first.map((o) => o.Id)).toEqual(['a', 'b']);
    await cache.resolve([summary('a', 'running'), summary('b', 'running')], inspect);
    expect(calls).toEqual([['a', 'b']]);
    const third = await cache.resolve([summary('a', 'running'), summary('b', 'exited')], inspect);
    expect(calls).toEqual([['a', 'b'], ['b']]);
    expect(third[1]).toEqual(inspected('b', 'exited'));
    // A restart moves StartedAt even when the state reads the same.
    await cache.resolve([summary('a', 'running', 200)], inspect);
    expect(calls[2]).toEqual(['a']);
  });

  it('leaves out a container removed between its listing and its inspect, and forgets removed ones', async () => {
    const cache = new InspectCache();
    const out = await cache.resolve([summary('a', 'running'), summary('gone', 'running')], async () => [
      inspected('a', 'running'),
    ]);
    expect(out.map((o) => o.Id)).toEqual(['a']);
    cache.forget('a');
    expect(cache.size).toBe(0);
  });

  it('keys on the fields that move with the state', () => {
    expect(listingKey({ State: 'exited', ExitCode: 1 })).not.toBe(
      listingKey({ State: 'exited', ExitCode: 0 }),
    );
  });
});

describe('container events', () => {
  it('reads the API shape and the CLI shape alike', () => {
    const api = parseContainerEvent({
      Type: 'container',
      Action: 'died',
      Actor: { ID: 'c1', Attributes: { containerExitCode: '137', [LABEL.node]: 'n' } },
    });
    const cli = parseContainerEvent({
      ID: 'c1',
      Status: 'died',
      Type: 'container',
      Attributes: { [LABEL.node]: 'n' },
    });
    expect(api).toMatchObject({ id: 'c1', action: 'died', exitCode: 137, labels: { [LABEL.node]: 'n' } });
    expect(cli).toMatchObject({ id: 'c1', action: 'died', labels: { [LABEL.node]: 'n' } });
    expect(parseContainerEvent({ Type: 'image', Action: 'pull', Actor: { ID: 'x' } })).toBeUndefined();
    expect(parseContainerEvent('not an event')).toBeUndefined();
  });
});

describe('libpod client over a unix socket', () => {
  let server: Server;
  let dir: string;
  let socketPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kedge-libpod-test-'));
    socketPath = join(dir, 'api.sock');
    server = createServer((req, res) => {
      if (req.url === `${LIBPOD}/containers/missing/json`) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            cause: 'no such container',
            message: 'no container with name or ID "missing" found',
            response: 404,
          }),
        );
      } else if (req.url?.startsWith(`${LIBPOD}/events`)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"Type":"container","Action":"start","Actor":{"ID":"a"}}\n{"Type":"container",');
        setTimeout(() => res.end('"Action":"died","Actor":{"ID":"a"}}\n'), 20);
      } else {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              Id: 'new',
              method: req.method,
              url: req.url,
              body: body ? JSON.parse(body) : null,
            }),
          );
        });
      }
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends JSON bodies and query strings, and maps a 404 to NotFound', async () => {
    const client = libpodClient(socketPath, 5000);
    const echoed = (await client.ok('/pods/create', {
      method: 'POST',
      body: { name: 'p' },
      query: { t: 0 },
    })) as Record<string, unknown>;
    expect(echoed).toMatchObject({ method: 'POST', url: `${LIBPOD}/pods/create?t=0`, body: { name: 'p' } });
    const err = await client.ok('/containers/missing/json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).kind).toBe('NotFound');
  });

  it('streams newline-delimited JSON split across chunks', async () => {
    const client = libpodClient(socketPath, 5000);
    const seen: unknown[] = [];
    for await (const e of client.stream('/events', { signal: new AbortController().signal })) seen.push(e);
    expect(seen.map((e) => parseContainerEvent(e)?.action)).toEqual(['start', 'died']);
  });

  it('says what to do when nothing listens on the socket', async () => {
    const client = libpodClient(join(dir, 'nobody.sock'), 1000);
    await expect(client.ok('/_ping')).rejects.toThrow(/is the podman service/);
  });

  it('classifies a missing image as ImageNotFound whatever the status', () => {
    expect(apiError('POST /containers/create', 500, { message: 'image not known' }).kind).toBe(
      'ImageNotFound',
    );
  });
});
