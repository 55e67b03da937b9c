/** Exits reach the pod's status through the runtime's container events, not the periodic relist. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { sh, startTestNode, type TestNode } from './harness.ts';

let node: TestNode;

beforeAll(async () => {
  // Relists a minute apart: only an event can bring an exit to the status within this test's time.
  node = await startTestNode('events', { relistIntervalMs: 60_000, eventRelistIntervalMs: 60_000 });
  await node.kubelet.start();
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

const terminated = (p: Pod) => p.status?.containerStatuses?.[0]?.state?.terminated;

describe('event-driven exits', () => {
  it('a container that exits is reported terminated within seconds with relists a minute apart', async () => {
    expect(node.runtime.mode).toBe('api');
    node.createPod('quitter', {
      restartPolicy: 'Never',
      containers: [{ name: 'app', ...sh('sleep 1; exit 7') }],
    });
    const p = await node.waitForPod('quitter', 'terminated', (x) => terminated(x) !== undefined, 20_000);
    expect(terminated(p)).toMatchObject({ exitCode: 7, reason: 'Error' });
    expect(p.status?.phase).toBe('Failed');
  }, 30_000);
});
