/**
 * Removing a sandbox kills at once in both modes, even a process that ignores SIGTERM (podman
 * 4.3's pods/stop reads t=0 as "use the default 10 s", so the API path must kill instead).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BASE_IMAGE } from '../../../agent/src/image/base-image.ts';
import { LABEL } from '../../../agent/src/runtime/labels.ts';
import { defaultPodmanConfig } from '../../../agent/src/runtime/podman-cli.ts';
import { createPodmanRuntime } from '../../../agent/src/runtime/podman-runtime.ts';

describe('sandbox removal', () => {
  for (const api of [true, false]) {
    it(`${api ? 'API' : 'CLI'} mode: removes a sandbox whose container ignores SIGTERM without waiting for a grace`, async () => {
      const nodeName = `rm-test-${randomUUID().slice(0, 6)}`;
      const runtime = await createPodmanRuntime({
        nodeName,
        config: defaultPodmanConfig,
        kernelOomLog: false,
        api,
      });
      try {
        expect(runtime.mode).toBe(api ? 'api' : 'cli');
        const uid = randomUUID();
        const sandbox = await runtime.createPodSandbox({
          name: 'stubborn',
          uid,
          namespace: 'default',
          labels: {},
          hostname: 'stubborn',
          portMappings: [],
        });
        // pid 1 in its namespace: SIGTERM has no default action, so only SIGKILL ends it.
        const id = await runtime.createContainer(sandbox, {
          name: 'app',
          image: BASE_IMAGE,
          command: ['sleep', '3600'],
        });
        await runtime.startContainer(id);
        const t0 = performance.now();
        await runtime.removePodSandbox(sandbox);
        expect(performance.now() - t0).toBeLessThan(6000);
        expect(await runtime.listContainers({ [LABEL.podUid]: uid })).toEqual([]);
        // Idempotent: a second removal of what is gone is not an error.
        await runtime.removePodSandbox(sandbox);
      } finally {
        for (const s of await runtime.listPodSandboxes({ [LABEL.node]: nodeName }))
          await runtime.removePodSandbox(s.id);
        runtime.close();
      }
    }, 30_000);
  }
});
