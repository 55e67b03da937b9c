/**
 * The agent dies (kill -9: nothing is stopped) and a fresh kubelet starts over the same store and
 * data dir: running pods are adopted as they are, what no pod owns any more is removed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { PODS, running, sh, startTestNode, type TestNode, waitFor } from './harness.ts';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode('adopt');
  await node.kubelet.start();
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

const containerId = (p: Pod) => p.status?.containerStatuses?.[0]?.containerID;

describe('restart adoption', () => {
  it('a new kubelet adopts running pods without duplicates and removes what no pod owns', async () => {
    const volume = { volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] };
    const volumes = [{ name: 'scratch', emptyDir: {} }];
    node.createPod('survivor', { containers: [{ name: 'app', ...sh('sleep 3600'), ...volume }], volumes });
    node.createPod('orphan', { containers: [{ name: 'app', ...sh('sleep 3600'), ...volume }], volumes });
    const survivor = await node.waitForPod('survivor', 'running', running('app'));
    const orphan = await node.waitForPod('orphan', 'running', running('app'));

    // The agent dies: its timers and watch go, the containers stay.
    node.kubelet.stop();
    // While it is down, the orphan's pod object is removed outright.
    node.client.delete(PODS, 'default', 'orphan', 0);
    expect(node.pod('orphan')).toBeUndefined();
    const orphanDir = join(node.dataDir, 'pods', orphan.metadata.uid ?? '');
    expect(existsSync(orphanDir)).toBe(true);

    node.kubelet = node.newKubelet();
    await node.kubelet.start();

    const adoptedSandboxes = await node.runtime.listPodSandboxes({
      [LABEL.podUid]: survivor.metadata.uid ?? '',
    });
    expect(adoptedSandboxes).toHaveLength(1);
    await waitFor(
      'the orphan removed',
      async () => {
        const left = await node.runtime.listPodSandboxes({ [LABEL.podUid]: orphan.metadata.uid ?? '' });
        return left.length === 0 || undefined;
      },
      15_000,
    );
    expect(existsSync(orphanDir)).toBe(false);

    // A few syncs later the survivor still runs the very same container, never restarted.
    await new Promise((r) => setTimeout(r, 2000));
    const after = node.pod('survivor') as Pod;
    expect(containerId(after)).toBe(containerId(survivor));
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const runs = await node.runtime.listContainers({ [LABEL.podUid]: survivor.metadata.uid ?? '' });
    expect(runs.map((r) => r.id)).toEqual([containerId(survivor)?.replace('podman://', '')]);
    expect(node.kubelet.podUids).toEqual([survivor.metadata.uid]);

    // And the adopted pod is still fully managed: deleting it goes through the new kubelet.
    node.client.delete(PODS, 'default', 'survivor');
    await waitFor('survivor deleted', () => node.pod('survivor') === undefined || undefined, 20_000);
    expect(await node.runtime.listPodSandboxes({ [LABEL.node]: node.nodeName })).toEqual([]);
  });
});
