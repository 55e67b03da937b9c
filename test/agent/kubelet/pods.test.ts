/** Pods made real by the kubelet on real podman: networking, env, volumes, deletion, node, logs. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from '../../../agent/src/api/errors.ts';
import type { Lease } from '../../../agent/src/api/types/coordination.ts';
import type {
  ConfigMap,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
} from '../../../agent/src/api/types/core.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { RECLAIM_POLICY_ANNOTATION } from '../../../agent/src/kubelet/local-path-provisioner.ts';
import {
  CONFIGMAPS,
  PODS,
  PVCS,
  PVS,
  podReady,
  running,
  SECRETS,
  sh,
  startTestNode,
  type TestNode,
  waitFor,
} from './harness.ts';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode('pods', {
    serviceAccount: {
      apiHost: '127.0.0.1',
      apiPort: 6443,
      caCertPem: '-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n',
    },
  });
  await node.kubelet.start();
}, 120_000);

afterAll(async () => {
  await node?.cleanup();
}, 120_000);

const idOf = (pod: Pod, container: string): string =>
  (pod.status?.containerStatuses?.find((c) => c.name === container)?.containerID ?? '').replace(
    'podman://',
    '',
  );

async function execIn(pod: Pod, container: string, script: string): Promise<string> {
  const out = await node.runtime.exec(idOf(pod, container), ['sh', '-c', script], { timeoutMs: 10_000 });
  return out.stdout.trim();
}

describe('kubelet on podman', () => {
  it('registers its Node with capacity and conditions, and renews its Lease', async () => {
    const n = node.store.get({ group: '', resource: 'nodes' }, '', node.nodeName) as Node;
    expect(Number(n.status?.capacity?.cpu)).toBeGreaterThan(0);
    expect(n.status?.allocatable?.pods).toBe('110');
    expect(n.status?.conditions?.map((c) => c.type).sort()).toEqual([
      'DiskPressure',
      'MemoryPressure',
      'PIDPressure',
      'Ready',
    ]);
    expect(n.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^podman:\/\/\d/);
    expect(n.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    const leaseRef = { group: 'coordination.k8s.io', resource: 'leases' };
    const first = (node.store.get(leaseRef, 'kube-node-lease', node.nodeName) as Lease).spec?.renewTime;
    await waitFor(
      'a lease renewal',
      () => {
        const now = (node.store.get(leaseRef, 'kube-node-lease', node.nodeName) as Lease).spec?.renewTime;
        return now !== first ? now : undefined;
      },
      10_000,
    );
  });

  it('runs a two-container pod whose containers talk over localhost, with env from a ConfigMap and a Secret', async () => {
    node.create<ConfigMap>(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'default' },
      data: { GREETING: 'hello-from-cm', MODE: 'edge' },
    });
    node.create<Secret>(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-secret', namespace: 'default' },
      data: { TOKEN: Buffer.from('s3cret').toString('base64') },
    });
    node.createPod('duo', {
      containers: [
        {
          name: 'server',
          ...sh('echo "$GREETING" > /www/index.html; exec httpd -f -p 8080 -h /www'),
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'GREETING' } } },
          ],
        },
        {
          name: 'client',
          ...sh('sleep 3600'),
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CM_' }],
          env: [
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'TOKEN' } } },
            { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          resources: { limits: { memory: '64Mi', cpu: '500m' } },
        },
      ],
    });
    const pod = await node.waitForPod(
      'duo',
      'both running and Ready',
      (p) => running('server')(p) && running('client')(p) && podReady(p),
    );
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    const body = await waitFor(
      'the server answering on localhost',
      async () => {
        const out = await execIn(pod, 'client', 'wget -qO- http://127.0.0.1:8080/ 2>/dev/null');
        return out || undefined;
      },
      10_000,
    );
    expect(body).toBe('hello-from-cm');
    expect(await execIn(pod, 'client', 'echo "$TOKEN $CM_MODE $MY_POD $MY_IP"')).toBe(
      `s3cret edge duo ${pod.status?.podIP}`,
    );
    expect(await execIn(pod, 'client', 'echo "$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"')).toBe(
      '127.0.0.1:6443',
    );
    expect(await execIn(pod, 'client', 'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace')).toBe(
      'default',
    );
    expect(await execIn(pod, 'client', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token')).toBe(
      node.client.issuedTokens.get(pod.metadata.uid ?? ''),
    );
    const limits = await node.runtime.inspectContainer(idOf(pod, 'client'));
    expect(limits.state).toBe('running');
    const inspect = JSON.parse((await node.runtime.cli.run(['inspect', idOf(pod, 'client')])).stdout)[0];
    expect(inspect.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(inspect.HostConfig.NanoCpus).toBe(500_000_000);
    const usage = (await node.kubelet.containerUsage()).find(
      (u) => u.pod === 'duo' && u.container === 'client',
    );
    expect(usage?.namespace).toBe('default');
    expect(usage?.stats.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(usage?.stats.memoryLimitBytes).toBe(64 * 1024 * 1024);
  });

  it('updates configMap volume files when the ConfigMap changes', async () => {
    const cm = node.create<ConfigMap>(CONFIGMAPS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'files', namespace: 'default' },
      data: { 'app.conf': 'version=1' },
    });
    node.createPod('cmvol', {
      containers: [
        { name: 'app', ...sh('sleep 3600'), volumeMounts: [{ name: 'cfg', mountPath: '/etc/app' }] },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'files', defaultMode: 0o600 } }],
    });
    const pod = await node.waitForPod('cmvol', 'running', running('app'));
    expect(await execIn(pod, 'app', 'cat /etc/app/app.conf')).toBe('version=1');
    expect(await execIn(pod, 'app', 'stat -L -c %a /etc/app/app.conf')).toBe('600');
    node.client.update(CONFIGMAPS, { ...cm, data: { 'app.conf': 'version=2', extra: 'x' } });
    await waitFor(
      'the new file content in the container',
      async () => (await execIn(pod, 'app', 'cat /etc/app/app.conf')) === 'version=2' || undefined,
      15_000,
    );
    expect(await execIn(pod, 'app', 'cat /etc/app/extra')).toBe('x');
  });

  it('an emptyDir is shared by the containers and disappears with its pod; deletion is graceful then final', async () => {
    node.createPod('scratch', {
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'writer',
          ...sh(
            'trap "echo bye > /data/bye; exit 0" TERM; echo shared > /data/f; while :; do sleep 1 & wait; done',
          ),
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
        {
          name: 'reader',
          ...sh('trap "exit 0" TERM; while :; do sleep 1 & wait; done'),
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    });
    const pod = await node.waitForPod(
      'scratch',
      'running',
      (p) => running('writer')(p) && running('reader')(p),
    );
    await waitFor(
      "the reader seeing the writer's file",
      async () => (await execIn(pod, 'reader', 'cat /data/f 2>/dev/null')) === 'shared' || undefined,
      10_000,
    );
    const dir = join(node.dataDir, 'pods', pod.metadata.uid ?? '', 'volumes', 'empty-dir', 'data');
    expect(existsSync(dir)).toBe(true);
    const started = Date.now();
    node.client.delete(PODS, 'default', 'scratch');
    expect(node.pod('scratch')?.metadata.deletionTimestamp).toBeDefined();
    await waitFor(
      'the pod object to be removed',
      () => node.pod('scratch') === undefined || undefined,
      30_000,
    );
    // Both containers exit on SIGTERM, so the pod is gone long before its 30 s grace runs out.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(existsSync(dir)).toBe(false);
    const left = await node.runtime.listContainers({ 'io.kedge.pod.uid': pod.metadata.uid ?? '' });
    expect(left).toEqual([]);
  });

  it("a PVC's data survives the pod's deletion and re-creation; Delete reclaim removes it with the claim", async () => {
    node.create<PersistentVolumeClaim>(PVCS, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data',
        namespace: 'default',
        annotations: { [RECLAIM_POLICY_ANNOTATION]: 'Delete' },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const spec = (script: string) => ({
      containers: [{ name: 'app', ...sh(script), volumeMounts: [{ name: 'vol', mountPath: '/data' }] }],
      volumes: [{ name: 'vol', persistentVolumeClaim: { claimName: 'data' } }],
    });
    node.createPod('pvc-1', spec('echo kept > /data/file; sleep 3600'));
    const first = await node.waitForPod('pvc-1', 'running', running('app'));
    await waitFor(
      'the file written',
      async () => (await execIn(first, 'app', 'cat /data/file 2>/dev/null')) === 'kept' || undefined,
      10_000,
    );
    const claim = node.store.get(PVCS, 'default', 'data') as PersistentVolumeClaim;
    expect(claim.status?.phase).toBe('Bound');
    const pv = node.store.get(PVS, '', claim.spec.volumeName ?? '') as PersistentVolume;
    expect(pv.spec.nodeAffinity?.required?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values).toEqual([
      node.nodeName,
    ]);
    node.client.delete(PODS, 'default', 'pvc-1');
    await waitFor('pvc-1 gone', () => node.pod('pvc-1') === undefined || undefined, 20_000);
    node.createPod('pvc-2', spec('sleep 3600'));
    const second = await node.waitForPod('pvc-2', 'running', running('app'));
    expect(await execIn(second, 'app', 'cat /data/file')).toBe('kept');
    node.client.delete(PODS, 'default', 'pvc-2');
    await waitFor('pvc-2 gone', () => node.pod('pvc-2') === undefined || undefined, 20_000);
    const path = pv.spec.local?.path ?? '';
    expect(await readFile(join(path, 'file'), 'utf8')).toBe('kept\n');
    node.client.delete(PVCS, 'default', 'data');
    expect(await node.kubelet.reclaimVolumes()).toEqual([`deleted ${pv.metadata.name}`]);
    expect(existsSync(path)).toBe(false);
    expect(node.store.get(PVS, '', pv.metadata.name ?? '')).toBeInstanceOf(StatusError);
  });

  it('Retain keeps a released volume and its data', async () => {
    node.create<PersistentVolumeClaim>(PVCS, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'keep',
        namespace: 'default',
        annotations: { [RECLAIM_POLICY_ANNOTATION]: 'Retain' },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    node.createPod('retain', {
      restartPolicy: 'Never',
      containers: [
        { name: 'app', ...sh('echo precious > /data/f'), volumeMounts: [{ name: 'v', mountPath: '/data' }] },
      ],
      volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'keep' } }],
    });
    await node.waitForPod('retain', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    const pvName = (node.store.get(PVCS, 'default', 'keep') as PersistentVolumeClaim).spec.volumeName ?? '';
    node.client.delete(PODS, 'default', 'retain');
    node.client.delete(PVCS, 'default', 'keep');
    expect(await node.kubelet.reclaimVolumes()).toEqual([`released ${pvName}`]);
    const pv = node.store.get(PVS, '', pvName) as PersistentVolume;
    expect(pv.status?.phase).toBe('Released');
    expect(await readFile(join(pv.spec.local?.path ?? '', 'f'), 'utf8')).toBe('precious\n');
  });

  it('runs init containers to completion in order before the app, and serves logs', async () => {
    node.createPod('inits', {
      initContainers: [
        { name: 'one', ...sh('echo one >> /work/order'), volumeMounts: [{ name: 'w', mountPath: '/work' }] },
        { name: 'two', ...sh('echo two >> /work/order'), volumeMounts: [{ name: 'w', mountPath: '/work' }] },
      ],
      containers: [
        {
          name: 'app',
          ...sh('cat /work/order; echo app >> /work/order; sleep 3600'),
          volumeMounts: [{ name: 'w', mountPath: '/work' }],
        },
      ],
      volumes: [{ name: 'w', emptyDir: {} }],
    });
    const pod = await node.waitForPod('inits', 'running', running('app'));
    expect(pod.status?.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    const lines: string[] = [];
    await waitFor(
      "the app's log",
      async () => {
        lines.length = 0;
        for await (const line of node.kubelet.podLogs({
          namespace: 'default',
          name: 'inits',
          container: 'app',
        }))
          lines.push(line);
        return lines.length >= 2 || undefined;
      },
      10_000,
    );
    expect(lines).toEqual(['one', 'two']);
    const tail: string[] = [];
    for await (const line of node.kubelet.podLogs({
      namespace: 'default',
      name: 'inits',
      container: 'app',
      tailLines: 1,
      timestamps: true,
    }))
      tail.push(line);
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatch(/^\d{4}-\d\d-\d\dT.* two$/);
    await expect(async () => {
      for await (const _ of node.kubelet.podLogs({
        namespace: 'default',
        name: 'inits',
        container: 'app',
        previous: true,
      }))
        break;
    }).rejects.toThrow(/previous terminated container "app"/);
    expect(existsSync(join(node.dataDir, 'pods', pod.metadata.uid ?? '', 'volumes'))).toBe(true);
  });

  it('follows a log until the caller aborts', async () => {
    node.createPod('ticker', {
      containers: [{ name: 'app', ...sh('i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done') }],
    });
    await node.waitForPod('ticker', 'running', running('app'));
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const line of node.kubelet.podLogs({
      namespace: 'default',
      name: 'ticker',
      follow: true,
      signal: abort.signal,
    })) {
      seen.push(line);
      if (seen.length === 5) abort.abort();
    }
    expect(seen.slice(0, 5)).toEqual(['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5']);
  });

  it('publishes a hostPort on the node address', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    node.createPod('hostport', {
      containers: [
        {
          name: 'web',
          ...sh('echo published > /www/index.html; exec httpd -f -p 80 -h /www'),
          ports: [{ containerPort: 80, hostPort: port }],
        },
      ],
    });
    await node.waitForPod('hostport', 'running', running('web'));
    const body = await waitFor(
      'the published port',
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        return res ? (await res.text()).trim() : undefined;
      },
      10_000,
    );
    expect(body).toBe('published');
  });
});
