/** Lifecycle hook handlers alone (exec through a fake runtime, httpGet against a local server). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../../agent/src/api/types/pod.ts';
import {
  graceAfterPreStop,
  type HookTarget,
  runLifecycleHook,
  runPreStopHooks,
} from '../../../agent/src/kubelet/lifecycle-hooks.ts';
import type { ContainerRuntime, ExecResult } from '../../../agent/src/runtime/runtime.ts';

const pod = { metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { containers: [] } } as Pod;

function fakeRuntime(exec: (command: readonly string[], timeoutMs: number) => Promise<ExecResult>) {
  const calls: string[][] = [];
  const runtime = {
    exec: (_id: string, command: readonly string[], o?: { timeoutMs?: number }) => {
      calls.push([...command]);
      return exec(command, o?.timeoutMs ?? 0);
    },
  } as unknown as ContainerRuntime;
  return { runtime, calls };
}

const target = (container: Container, runtime: ContainerRuntime): HookTarget => ({
  pod,
  container,
  containerId: 'c1',
  podIP: '127.0.0.1',
  runtime,
});

const exited = (exitCode: number, stdout = ''): ExecResult => ({
  exitCode,
  stdout,
  stderr: '',
  timedOut: false,
});

let server: Server;
let port = 0;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(`${req.url} ${req.headers['x-hook'] ?? ''}`);
    res.statusCode = req.url === '/broken' ? 500 : 200;
    if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
    else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('runLifecycleHook', () => {
  it('an exec hook passes on exit 0 and fails with the exit code and output otherwise', async () => {
    const { runtime, calls } = fakeRuntime(async (cmd) => (cmd[0] === 'true' ? exited(0) : exited(7, 'no')));
    const c = { name: 'app' };
    expect(await runLifecycleHook('PostStart', { exec: { command: ['true'] } }, target(c, runtime), 5)).toBe(
      undefined,
    );
    const failed = await runLifecycleHook(
      'PostStart',
      { exec: { command: ['false'] } },
      target(c, runtime),
      5,
    );
    expect(failed).toBe(
      'Exec lifecycle hook (["false"]) for Container "app" in Pod "web" failed - error: command exited with 7, message: "no"',
    );
    expect(calls).toEqual([['true'], ['false']]);
  });

  it('an exec hook is bounded by the timeout and an unreachable container is a failure, not a throw', async () => {
    const slow = fakeRuntime(async (_c, timeoutMs) => ({ ...exited(-1), timedOut: timeoutMs === 2000 }));
    expect(
      await runLifecycleHook(
        'PreStop',
        { exec: { command: ['sleep', '9'] } },
        target({ name: 'a' }, slow.runtime),
        2,
      ),
    ).toContain('timed out after 2s');
    const gone = fakeRuntime(async () => {
      throw new Error('no such container');
    });
    expect(
      await runLifecycleHook('PreStop', { exec: { command: ['x'] } }, target({ name: 'a' }, gone.runtime), 2),
    ).toContain('no such container');
  });

  it('an httpGet hook goes to the pod IP and named port, with headers; 500 and timeouts fail', async () => {
    const { runtime } = fakeRuntime(async () => exited(0));
    const c: Container = { name: 'app', ports: [{ name: 'http', containerPort: port }] };
    const get = (path: string) => ({
      httpGet: { path, port: 'http', httpHeaders: [{ name: 'X-Hook', value: 'yes' }] },
    });
    expect(await runLifecycleHook('PreStop', get('/drain'), target(c, runtime), 5)).toBe(undefined);
    expect(hits).toContain('/drain yes');
    expect(await runLifecycleHook('PreStop', get('/broken'), target(c, runtime), 5)).toBe(
      'HTTP lifecycle hook (/broken) for Container "app" in Pod "web" failed - error: HTTP status 500',
    );
    expect(await runLifecycleHook('PreStop', get('/slow'), target(c, runtime), 1)).toContain(
      'timed out after 1s',
    );
    expect(
      await runLifecycleHook('PostStart', { httpGet: { port: 'metrics' } }, target(c, runtime), 1),
    ).toContain('port "metrics" is not a named port of container app');
  });

  it('tcpSocket and an empty handler are refused with what to give instead', async () => {
    const { runtime, calls } = fakeRuntime(async () => exited(0));
    expect(
      await runLifecycleHook('PostStart', { tcpSocket: { port: 80 } }, target({ name: 'a' }, runtime), 1),
    ).toContain('tcpSocket is not supported as a lifecycle hook; give it exec or httpGet');
    expect(await runLifecycleHook('PreStop', {}, target({ name: 'a' }, runtime), 1)).toContain(
      'it has no handler',
    );
    expect(calls).toEqual([]);
  });
});

describe('runPreStopHooks', () => {
  it('runs the hooks of all containers in parallel and leaves the rest of the grace for SIGTERM', async () => {
    const { runtime, calls } = fakeRuntime(async (cmd) => {
      await new Promise((r) => setTimeout(r, 300));
      return exited(cmd[0] === 'ok' ? 0 : 1);
    });
    const withHook = (name: string, cmd: string): Container => ({
      name,
      lifecycle: { preStop: { exec: { command: [cmd] } } },
    });
    const failures: string[] = [];
    const t0 = performance.now();
    const left = await runPreStopHooks(
      [
        target(withHook('a', 'ok'), runtime),
        target(withHook('b', 'bad'), runtime),
        target({ name: 'c' }, runtime),
      ],
      30,
      (t, message) => failures.push(`${t.container.name}: ${message.slice(0, 30)}`),
    );
    expect(performance.now() - t0).toBeLessThan(550);
    expect(calls.sort()).toEqual([['bad'], ['ok']]);
    expect(failures).toEqual(['b: Exec lifecycle hook (["bad"]) ']);
    expect(left).toBe(29);
  });

  it('runs nothing with no grace (a forced delete)', async () => {
    const { runtime, calls } = fakeRuntime(async () => exited(0));
    const c = { name: 'a', lifecycle: { preStop: { exec: { command: ['x'] } } } };
    expect(await runPreStopHooks([target(c, runtime)], 0, () => {})).toBe(0);
    expect(calls).toEqual([]);
  });

  it('a hook that eats the grace period still leaves SIGTERM 2 seconds', () => {
    expect(graceAfterPreStop(30, 4100)).toBe(25);
    expect(graceAfterPreStop(5, 5000)).toBe(2);
    expect(graceAfterPreStop(5, 60_000)).toBe(2);
  });
});
