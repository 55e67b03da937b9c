/**
 * Stand-ins for the Deployment/ReplicaSet controllers, the scheduler and the kubelet, which are
 * not wired to an agent yet: they turn a Deployment into a ReplicaSet per pod template (with a
 * revision annotation, so roll back has something to go back to) and Running, Ready pods spread
 * over the given nodes, straight in the store the test's API servers share. The page under test
 * sees only what the API serves; these only make the cluster move as a real one would.
 */
import { createHash, randomUUID } from 'node:crypto';
import { StatusError } from '../../../agent/src/api/errors.ts';
import type { Deployment, ReplicaSet } from '../../../agent/src/api/types/apps.ts';
import type { KubeObject } from '../../../agent/src/api/types/meta.ts';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { LocalBackend } from '../../../agent/src/apiserver/local-backend.ts';
import type { ObjectStore } from '../../../agent/src/store/object-store.ts';

const apps = { group: 'apps', resource: 'deployments' } as const;
const replicaSets = { group: 'apps', resource: 'replicasets' } as const;
const pods = { group: '', resource: 'pods' } as const;
const stamp = () => `${new Date().toISOString().slice(0, 19)}Z`;

export interface FakeControllers {
  /** Resolves when every queued reconcile has run (tests wait on it rather than on time). */
  idle(): Promise<void>;
  stop(): void;
}

export function startFakeWorkloadControllers(
  store: ObjectStore,
  nodeNames: readonly string[],
): FakeControllers {
  const backend = new LocalBackend(store);
  let nextNode = 0;
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (namespace: string, name: string) => {
    queue = queue
      .then(() => reconcile(namespace, name))
      .catch((error: unknown) => {
        // A test fails on what the page shows; say here why the fake stopped short.
        console.error(`fake deployment controller: ${namespace}/${name}: ${(error as Error).message}`);
      });
  };
  const owners = (o: KubeObject) => o.metadata.ownerReferences?.find((r) => r.controller);

  const deploymentWatch = store.watch({ ...apps }, (event) => {
    const m = (event.object as KubeObject).metadata;
    if (event.type === 'ADDED' || event.type === 'MODIFIED')
      setImmediate(() => enqueue(m.namespace ?? '', m.name ?? ''));
  });
  const podWatch = store.watch({ ...pods }, (event) => {
    if (event.type !== 'DELETED') return;
    const pod = event.object as KubeObject;
    const namespace = pod.metadata.namespace ?? '';
    const owner = owners(pod);
    const rs = owner ? store.get(replicaSets, namespace, owner.name) : undefined;
    const deployment = rs instanceof StatusError || rs === undefined ? undefined : owners(rs);
    if (deployment) setImmediate(() => enqueue(namespace, deployment.name));
  });
  if (deploymentWatch instanceof StatusError || podWatch instanceof StatusError)
    throw new Error('the fake controllers could not watch the store');

  async function reconcile(namespace: string, name: string): Promise<void> {
    let deployment: Deployment;
    try {
      deployment = (await backend.get({ ...apps, namespace, name })) as Deployment;
    } catch (error) {
      // Deleted meanwhile: nothing to reconcile (garbage collection is not faked).
      if (error instanceof StatusError && error.status.code === 404) return;
      throw error;
    }
    const hash = createHash('sha256')
      .update(JSON.stringify(deployment.spec.template))
      .digest('hex')
      .slice(0, 8);
    const owned = ((await backend.list(replicaSets, {})).items as ReplicaSet[]).filter(
      (rs) => rs.metadata.namespace === namespace && owners(rs)?.uid === deployment.metadata.uid,
    );
    let current = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    if (current === undefined) {
      const revision =
        Math.max(
          0,
          ...owned.map((rs) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0)),
        ) + 1;
      const template = structuredClone(deployment.spec.template);
      template.metadata = {
        ...template.metadata,
        labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
      };
      current = (await backend.create({
        op: 'create',
        ...replicaSets,
        uid: randomUUID(),
        creationTimestamp: stamp(),
        object: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: `${name}-${hash}`,
            namespace,
            labels: template.metadata.labels,
            annotations: { 'deployment.kubernetes.io/revision': String(revision) },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name,
                uid: deployment.metadata.uid ?? '',
                controller: true,
              },
            ],
          },
          spec: { replicas: 0, selector: { matchLabels: template.metadata.labels }, template },
        } as ReplicaSet,
      })) as ReplicaSet;
      owned.push(current);
    }
    const allPods = (await backend.list(pods, {})).items as Pod[];
    let ready = 0;
    for (const rs of owned) {
      const want = rs === current ? (deployment.spec.replicas ?? 1) : 0;
      const mine = allPods.filter((p) => owners(p)?.uid === rs.metadata.uid && !p.metadata.deletionTimestamp);
      for (let i = mine.length; i < want; i++) await createRunningPod(rs);
      for (const extra of mine.slice(want)) {
        await backend.delete({
          op: 'delete',
          ...pods,
          namespace,
          name: extra.metadata.name ?? '',
          deletionTimestamp: stamp(),
        });
      }
      const fresh = (await backend.get({
        ...replicaSets,
        namespace,
        name: rs.metadata.name ?? '',
      })) as ReplicaSet;
      await backend.update({
        op: 'update',
        ...replicaSets,
        object: { ...fresh, spec: { ...fresh.spec, replicas: want } } as ReplicaSet,
      });
      const again = (await backend.get({
        ...replicaSets,
        namespace,
        name: rs.metadata.name ?? '',
      })) as ReplicaSet;
      await backend.update({
        op: 'updateStatus',
        ...replicaSets,
        object: {
          ...again,
          status: { replicas: want, readyReplicas: want, availableReplicas: want },
        } as ReplicaSet,
      });
      ready += want;
    }
    const latest = (await backend.get({ ...apps, namespace, name })) as Deployment;
    const status = {
      replicas: ready,
      readyReplicas: ready,
      updatedReplicas: ready,
      availableReplicas: ready,
      observedGeneration: latest.metadata.generation ?? 1,
    };
    if (JSON.stringify(latest.status ?? {}) !== JSON.stringify({ ...latest.status, ...status })) {
      await backend.update({ op: 'updateStatus', ...apps, object: { ...latest, status } as Deployment });
    }
  }

  async function createRunningPod(rs: ReplicaSet): Promise<void> {
    const template = rs.spec.template;
    const node = nodeNames[nextNode++ % nodeNames.length] ?? '';
    const suffix = randomUUID().slice(0, 5);
    const created = (await backend.create({
      op: 'create',
      ...pods,
      uid: randomUUID(),
      creationTimestamp: stamp(),
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${rs.metadata.name}-${suffix}`,
          namespace: rs.metadata.namespace ?? 'default',
          labels: template?.metadata?.labels ?? {},
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: rs.metadata.name ?? '',
              uid: rs.metadata.uid ?? '',
              controller: true,
            },
          ],
        },
        spec: { ...template?.spec, containers: template?.spec?.containers ?? [], nodeName: node },
      } as Pod,
    })) as Pod;
    await backend.update({
      op: 'updateStatus',
      ...pods,
      object: {
        ...created,
        status: {
          phase: 'Running',
          podIP: `10.88.0.${(nextNode % 250) + 2}`,
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: created.spec.containers.map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: '',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: stamp() } },
          })),
        },
      } as Pod,
    });
  }

  return {
    idle: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      await queue;
    },
    stop: () => {
      deploymentWatch.stop();
      podWatch.stop();
    },
  };
}
