/**
 * The strategic-merge-patch schema: which lists merge by which key, per Kubernetes type. This is
 * the subset of the Go struct tags (`patchStrategy:"merge" patchMergeKey:"name"`) that kubectl
 * apply, scale, edit, set image and rollout touch. Fields not listed here follow the defaults:
 * maps merge recursively, lists are replaced whole (Kubernetes' "atomic" lists, e.g. tolerations,
 * args, command, envFrom, taints, volumeClaimTemplates).
 *
 * | type              | field                      | strategy                          |
 * | ----------------- | -------------------------- | --------------------------------- |
 * | ObjectMeta        | finalizers                 | merge (primitive set)             |
 * | ObjectMeta        | ownerReferences            | merge by uid                      |
 * | PodSpec           | containers, initContainers, ephemeralContainers | merge by name, items are Container |
 * | PodSpec           | volumes, imagePullSecrets, schedulingGates, resourceClaims | merge by name |
 * | PodSpec           | hostAliases                | merge by ip                       |
 * | PodSpec           | topologySpreadConstraints  | merge by topologyKey              |
 * | Container         | ports                      | merge by containerPort            |
 * | Container         | env                        | merge by name                     |
 * | Container         | volumeMounts               | merge by mountPath                |
 * | Container         | volumeDevices              | merge by devicePath               |
 * | ServiceSpec       | ports                      | merge by port                     |
 * | ServiceAccount    | secrets                    | merge by name                     |
 * | Pod/Node/workload status | conditions          | merge by type                     |
 * | PodStatus         | podIPs                     | merge by ip                       |
 * | NodeStatus        | addresses                  | merge by type                     |
 * | NodeSpec          | podCIDRs                   | merge (primitive set)             |
 * | workload specs    | template                   | PodTemplateSpec (metadata + PodSpec) |
 * | CronJobSpec       | jobTemplate                | JobTemplateSpec (metadata + JobSpec) |
 *
 * `$retainKeys` needs no schema entry: it is honoured wherever a patch carries it (kubectl sends
 * it for Deployment spec.strategy, DaemonSet spec.updateStrategy and volume sources).
 */

/** How one field of a type is patched. */
export interface FieldStrategy {
  /** For lists of objects: merge items by this key instead of replacing the list. */
  readonly mergeKey?: string;
  /** For lists of primitives: merge as a set instead of replacing. */
  readonly primitiveMerge?: boolean;
  /** The type of the value (for a list: of each item), when it has rules of its own. */
  readonly type?: PatchType;
}

/** A type's fields that differ from the defaults. */
export interface PatchType {
  readonly [field: string]: FieldStrategy;
}

const objectMeta: PatchType = {
  finalizers: { primitiveMerge: true },
  ownerReferences: { mergeKey: 'uid' },
};

const container: PatchType = {
  ports: { mergeKey: 'containerPort' },
  env: { mergeKey: 'name' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};

const podSpec: PatchType = {
  containers: { mergeKey: 'name', type: container },
  initContainers: { mergeKey: 'name', type: container },
  ephemeralContainers: { mergeKey: 'name', type: container },
  volumes: { mergeKey: 'name' },
  imagePullSecrets: { mergeKey: 'name' },
  schedulingGates: { mergeKey: 'name' },
  resourceClaims: { mergeKey: 'name' },
  hostAliases: { mergeKey: 'ip' },
  topologySpreadConstraints: { mergeKey: 'topologyKey' },
};

const podTemplateSpec: PatchType = {
  metadata: { type: objectMeta },
  spec: { type: podSpec },
};

const conditionsStatus: PatchType = { conditions: { mergeKey: 'type' } };

const podStatus: PatchType = {
  conditions: { mergeKey: 'type' },
  podIPs: { mergeKey: 'ip' },
};

const workloadSpec: PatchType = { template: { type: podTemplateSpec } };

const jobSpec: PatchType = { template: { type: podTemplateSpec } };

const cronJobSpec: PatchType = {
  jobTemplate: { type: { metadata: { type: objectMeta }, spec: { type: jobSpec } } },
};

function resource(
  spec: PatchType | undefined,
  status: PatchType | undefined,
  extra: PatchType = {},
): PatchType {
  return {
    metadata: { type: objectMeta },
    ...(spec ? { spec: { type: spec } } : {}),
    ...(status ? { status: { type: status } } : {}),
    ...extra,
  };
}

/** Patch schemas by `group/Kind` (core group: just `Kind`). */
const byKind: Record<string, PatchType> = {
  Pod: resource(podSpec, podStatus),
  PodTemplate: resource(undefined, undefined, { template: { type: podTemplateSpec } }),
  ReplicationController: resource(workloadSpec, conditionsStatus),
  Service: resource({ ports: { mergeKey: 'port' } }, conditionsStatus),
  Node: resource(
    { podCIDRs: { primitiveMerge: true } },
    { conditions: { mergeKey: 'type' }, addresses: { mergeKey: 'type' } },
  ),
  Namespace: resource(undefined, conditionsStatus),
  ServiceAccount: resource(undefined, undefined, {
    secrets: { mergeKey: 'name' },
    imagePullSecrets: { mergeKey: 'name' },
  }),
  PersistentVolumeClaim: resource(undefined, conditionsStatus),
  'apps/Deployment': resource(workloadSpec, conditionsStatus),
  'apps/ReplicaSet': resource(workloadSpec, conditionsStatus),
  'apps/StatefulSet': resource(workloadSpec, conditionsStatus),
  'apps/DaemonSet': resource(workloadSpec, conditionsStatus),
  'batch/Job': resource(jobSpec, undefined),
  'batch/CronJob': resource(cronJobSpec, undefined),
  'autoscaling/HorizontalPodAutoscaler': resource(undefined, conditionsStatus),
};

/** Every other kind (ConfigMap, Secret, Lease, Scale, ...): metadata rules only. */
const generic: PatchType = resource(undefined, undefined);

/** The strategic-merge-patch schema for a kind in an API group ("" for core). */
export function patchTypeFor(group: string, kind: string): PatchType {
  return byKind[group === '' ? kind : `${group}/${kind}`] ?? generic;
}
