/** The field schema of every kind the API serves, by group and kind (registry.ts lists them). */
import type { Lease } from '../types/coordination.ts';
import type { Scale } from '../types/core.ts';
import type { Ingress, IngressBackend, IngressClass } from '../types/networking.ts';
import type { PriorityClass } from '../types/scheduling.ts';
import { boolean, fields, integer, list, type ObjectSchema, string, time } from './builder.ts';
import { configMap, endpoints, event, namespace, node, secret, service, serviceAccount } from './core.ts';
import { objectMeta } from './meta.ts';
import { pod } from './pod.ts';
import { persistentVolume, persistentVolumeClaim } from './storage.ts';
import {
  controllerRevision,
  cronJob,
  daemonSet,
  deployment,
  horizontalPodAutoscaler,
  job,
  replicaSet,
  statefulSet,
} from './workloads.ts';

const lease = fields<Lease>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    holderIdentity: string,
    leaseDurationSeconds: integer,
    acquireTime: time,
    renewTime: time,
    leaseTransitions: integer,
    strategy: string,
    preferredHolder: string,
  }),
});

const priorityClass = fields<PriorityClass>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  value: integer,
  globalDefault: boolean,
  description: string,
  preemptionPolicy: string,
});

const ingressClass = fields<IngressClass>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    controller: string,
    parameters: fields({ apiGroup: string, kind: string, name: string, namespace: string, scope: string }),
  }),
});

const ingressBackend = fields<IngressBackend>({
  service: fields({ name: string, port: fields({ name: string, number: integer }) }),
  resource: fields({ apiGroup: string, kind: string, name: string }),
});
const ingress = fields<Ingress>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    ingressClassName: string,
    defaultBackend: ingressBackend,
    tls: list(fields({ hosts: list(string), secretName: string })),
    rules: list(
      fields({
        host: string,
        http: fields({ paths: list(fields({ path: string, pathType: string, backend: ingressBackend })) }),
      }),
    ),
  }),
  status: fields({
    loadBalancer: fields({
      ingress: list(
        fields({
          ip: string,
          hostname: string,
          ports: list(fields({ port: integer, protocol: string, error: string })),
        }),
      ),
    }),
  }),
});

/** The autoscaling/v1 Scale body of the /scale subresource. */
const scale = fields<Scale>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({ replicas: integer }),
  status: fields({ replicas: integer, selector: string }),
});

const byGroupKind: ReadonlyMap<string, ObjectSchema> = new Map<string, ObjectSchema>(
  (
    [
      ['', 'Namespace', namespace],
      ['', 'Pod', pod],
      ['', 'Service', service],
      ['', 'Endpoints', endpoints],
      ['', 'ConfigMap', configMap],
      ['', 'Secret', secret],
      ['', 'Node', node],
      ['', 'Event', event],
      ['', 'PersistentVolumeClaim', persistentVolumeClaim],
      ['', 'PersistentVolume', persistentVolume],
      ['', 'ServiceAccount', serviceAccount],
      ['apps', 'Deployment', deployment],
      ['apps', 'ReplicaSet', replicaSet],
      ['apps', 'StatefulSet', statefulSet],
      ['apps', 'DaemonSet', daemonSet],
      ['apps', 'ControllerRevision', controllerRevision],
      ['batch', 'Job', job],
      ['batch', 'CronJob', cronJob],
      ['autoscaling', 'HorizontalPodAutoscaler', horizontalPodAutoscaler],
      ['coordination.k8s.io', 'Lease', lease],
      ['scheduling.k8s.io', 'PriorityClass', priorityClass],
      ['networking.k8s.io', 'IngressClass', ingressClass],
      ['networking.k8s.io', 'Ingress', ingress],
      // Not a stored kind: the body of deployments|replicasets|statefulsets/scale.
      ['autoscaling', 'Scale', scale],
    ] as const
  ).map(([group, kind, schema]) => [`${group}/${kind}`, schema as ObjectSchema]),
);

/** The schema of a served kind, or undefined for a kind without one (then nothing is checked). */
export function schemaForKind(group: string, kind: string): ObjectSchema | undefined {
  return byGroupKind.get(`${group}/${kind}`);
}
