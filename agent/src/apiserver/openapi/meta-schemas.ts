/**
 * What the OpenAPI documents say that no field schema carries: meta/v1 envelopes written by hand
 * (ListMeta, Status, Patch, DeleteOptions), the one-line description of each served kind, and the
 * standard descriptions of apiVersion/kind/metadata/spec/status that `kubectl explain` prints.
 */
import type { OpenApiSchema } from './components.ts';

const metaV1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const listMetaName = `${metaV1}.ListMeta`;
export const statusName = `${metaV1}.Status`;
export const patchName = `${metaV1}.Patch`;
export const deleteOptionsName = `${metaV1}.DeleteOptions`;

export const listMeta = {
  type: 'object',
  description: 'Standard list metadata: resourceVersion and the continue token of a paged list.',
  properties: {
    continue: {
      type: 'string',
      description: 'Set when more items are available: pass it as ?continue= to get them.',
    },
    remainingItemCount: { type: 'integer', format: 'int64' },
    resourceVersion: { type: 'string', description: 'The version of the list, to start a watch from.' },
    selfLink: { type: 'string' },
  },
} as const;

const str = { type: 'string' } as const;

export const metaComponents: ReadonlyMap<string, OpenApiSchema> = new Map<string, OpenApiSchema>([
  [listMetaName, listMeta],
  [
    statusName,
    {
      type: 'object',
      description: 'The return value of calls that do not return other objects.',
      properties: {
        apiVersion: str,
        code: { type: 'integer', format: 'int32', description: 'Suggested HTTP return code.' },
        details: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        kind: str,
        message: { type: 'string', description: 'A human-readable description of the status.' },
        metadata: { allOf: [{ $ref: `#/components/schemas/${listMetaName}` }], default: {} },
        reason: { type: 'string', description: 'A machine-readable description of why the call failed.' },
        status: { type: 'string', description: '"Success" or "Failure".' },
      },
      ...{ 'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }] },
    },
  ],
  [
    patchName,
    {
      type: 'object',
      description: 'A patch body: JSON patch, merge patch, strategic merge patch or apply configuration.',
    },
  ],
  [
    deleteOptionsName,
    {
      type: 'object',
      description: 'Options for a delete.',
      properties: {
        apiVersion: str,
        dryRun: { type: 'array', items: str },
        gracePeriodSeconds: { type: 'integer', format: 'int64' },
        kind: str,
        preconditions: {
          type: 'object',
          properties: { resourceVersion: str, uid: str },
        },
        propagationPolicy: { type: 'string', description: '"Orphan", "Background" or "Foreground".' },
      },
    },
  ],
]);

const kinds: Readonly<Record<string, string>> = {
  Namespace: 'Namespace provides a scope for names.',
  Pod: 'Pod is a collection of containers that can run on a host, created by clients and scheduled onto hosts.',
  Service:
    'Service is a named abstraction of a software service: a port the proxy listens on and the selector that picks the pods answering it.',
  Endpoints: 'Endpoints is the set of addresses and ports that implement a Service.',
  ConfigMap: 'ConfigMap holds configuration data for pods to consume.',
  Secret: 'Secret holds secret data of a certain type, at most 1 MiB.',
  Node: 'Node is a worker machine; each node has a unique name in the cache.',
  Event: 'Event is a report of an event somewhere in the cluster.',
  ServiceAccount:
    'ServiceAccount binds together a name that users and pods can authenticate as, and a set of secrets.',
  PersistentVolumeClaim: "PersistentVolumeClaim is a user's request for and claim to a persistent volume.",
  PersistentVolume:
    'PersistentVolume is a storage resource provisioned by an administrator, analogous to a node.',
  Deployment: 'Deployment enables declarative updates for Pods and ReplicaSets.',
  ReplicaSet: 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
  StatefulSet: 'StatefulSet represents a set of pods with consistent identities and stable storage.',
  DaemonSet: 'DaemonSet represents the configuration of a daemon set: one pod on each eligible node.',
  ControllerRevision:
    'ControllerRevision is an immutable snapshot of state data, used by StatefulSet and DaemonSet rollouts.',
  Job: 'Job represents the configuration of a single job: pods that run to completion.',
  CronJob: 'CronJob represents the configuration of a single cron job: a Job created on a schedule.',
  HorizontalPodAutoscaler:
    'HorizontalPodAutoscaler automatically manages the replica count of a scalable resource from metrics.',
  Lease: 'Lease defines a lease concept: a holder and how long the holding lasts.',
  PriorityClass: 'PriorityClass maps a priority class name to the integer priority of the pods that name it.',
  Ingress:
    'Ingress is a collection of rules that allow inbound connections to reach the endpoints defined by a backend.',
  Scale: 'Scale represents a scaling request for a resource.',
};

export const kindDescription = (kind: string): string => kinds[kind] ?? `${kind} is a kind kedge serves.`;

/** The descriptions Kubernetes gives the standard fields of every kind (shortened). */
export function standardFieldDescriptions(kind: string): Readonly<Record<string, string>> {
  const article = /^[AEIOU]/.test(kind) ? 'an' : 'a';
  return {
    apiVersion:
      'APIVersion defines the versioned schema of this representation of an object: the group and version (v1, apps/v1).',
    kind: 'Kind is a string value representing the REST resource this object represents, in CamelCase.',
    metadata: "Standard object's metadata: name, namespace, labels, annotations, owner references.",
    spec: `Spec defines the desired behavior of ${article} ${kind}.`,
    status: `Status is the most recently observed status of ${article} ${kind}; populated by the system, read-only.`,
  };
}
