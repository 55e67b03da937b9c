/** postStart and preStop hooks on real podman, through the kubelet. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { PODS, running, sh, startTestNode, type TestNode, waitFor } from './harness.ts';

let node: TestNode;
let server: Server;
let port = 0;
/** What the preStop hook saw: the state of the container at the moment it was called. */
const preStopCalls: string[] = [];
let watchedContainer = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    void node.runtime.inspectContainer(watchedContainer).then(
      (c) => {
        preStopCalls.push(`${req.url} ${c.state}`);
        res.end('ok');
      },
      (err: Error) => {
        preStopCalls.push(`${req.url} ${err.message}`);
        res.end('ok');
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  node = await startTestNode('hooks');
  await node.kubelet.start();
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
}, 120_000);

const status = (p: Pod) => p.status?.containerStatuses?.[0];

describe('lifecycle hooks', () => {
  it('postStart runs in the container right after it starts', async () => {
    node.createPod('poststart', {
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hooked > /tmp/hook'] } } },
        },
      ],
    });
    const p = await node.waitForPod('poststart', 'running', running('app'));
    const id = status(p)?.containerID?.replace(/^\w+:\/\//, '') ?? '';
    const out = await node.runtime.exec(id, ['cat', '/tmp/hook']);
    expect(out.stdout.trim()).toBe('hooked');
    expect(node.events('poststart').map((e) => e.reason)).not.toContain('FailedPostStartHook');
  });

  it('a failing postStart kills the container with a FailedPostStartHook event', async () => {
    node.createPod('badhook', {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo nope; exit 7'] } } },
        },
      ],
    });
    const p = await node.waitForPod('badhook', 'failed', (x) => x.status?.phase === 'Failed', 30_000);
    expect(status(p)?.state?.terminated).toBeDefined();
    expect(status(p)?.restartCount).toBe(0);
    const hook = node.events('badhook').find((e) => e.reason === 'FailedPostStartHook');
    expect(hook?.type).toBe('Warning');
    expect(hook?.message).toContain('command exited with 7, message: "nope"');
  });

  it('preStop runs while the container still runs, before it is stopped on deletion', async () => {
    node.createPod('prestop', {
      // A pid-1 sleep ignores SIGTERM, so the stop takes what the hook left of this grace.
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'app',
          ...sh('sleep 3600'),
          lifecycle: { preStop: { httpGet: { host: '127.0.0.1', port, path: '/drain' } } },
        },
      ],
    });
    const p = await node.waitForPod('prestop', 'running', running('app'));
    watchedContainer = status(p)?.containerID?.replace(/^\w+:\/\//, '') ?? '';
    node.client.delete(PODS, 'default', 'prestop');
    await waitFor('prestop gone', () => node.pod('prestop') === undefined || undefined, 30_000);
    expect(preStopCalls).toEqual(['/drain running']);
    expect(await node.runtime.listContainers({ [LABEL.podUid]: p.metadata.uid ?? '' })).toEqual([]);
  });
});
