/** Field schemas of meta/v1 and the small shared core/v1 pieces (references, selectors). */
import type { ObjectReference } from '../types/core.ts';
import type {
  Condition,
  LabelSelector,
  LabelSelectorRequirement,
  ManagedFieldsEntry,
  ObjectMeta,
  OwnerReference,
} from '../types/meta.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../types/pod.ts';
import { any, boolean, fields, integer, list, string, stringMap, time } from './builder.ts';

export const ownerReference = fields<OwnerReference>(
  {
    apiVersion: string,
    kind: string,
    name: string,
    uid: string,
    controller: boolean,
    blockOwnerDeletion: boolean,
  },
  {
    definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference',
    description: 'Enough information to identify an owning object in the same namespace.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
  },
);

export const managedFieldsEntry = fields<ManagedFieldsEntry>(
  {
    manager: string,
    operation: string,
    apiVersion: string,
    time,
    fieldsType: string,
    // FieldsV1 is a trie of `f:`/`k:`/`v:` keys: free-form by design.
    fieldsV1: any,
    subresource: string,
  },
  {
    definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry',
    description: 'The workflow ID and version of the fields a manager set.',
  },
);

export const objectMeta = fields<ObjectMeta>(
  {
    name: string,
    generateName: string,
    namespace: string,
    selfLink: string,
    uid: string,
    resourceVersion: string,
    generation: integer,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: integer,
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: list(ownerReference),
    finalizers: list(string),
    managedFields: list(managedFieldsEntry),
  },
  {
    definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    description: 'Metadata every persisted resource must have, including all objects users create.',
  },
);

export const labelSelector = fields<LabelSelector>(
  {
    matchLabels: stringMap,
    matchExpressions: list(
      fields<LabelSelectorRequirement>(
        { key: string, operator: string, values: list(string) },
        {
          definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement',
          required: ['key', 'operator'],
        },
      ),
    ),
  },
  {
    definition: 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector',
    description: 'A label query over a set of resources: matchLabels and matchExpressions are ANDed.',
  },
);

/** One schema for every kind's conditions: the union of Pod, Node, Deployment, Job... fields. */
export const condition = fields<Condition>({
  type: string,
  status: string,
  observedGeneration: integer,
  lastTransitionTime: time,
  lastUpdateTime: time,
  lastProbeTime: time,
  lastHeartbeatTime: time,
  reason: string,
  message: string,
});

export const objectReference = fields<ObjectReference>(
  {
    kind: string,
    namespace: string,
    name: string,
    uid: string,
    apiVersion: string,
    resourceVersion: string,
    fieldPath: string,
  },
  { definition: 'io.k8s.api.core.v1.ObjectReference', description: 'A reference to another object.' },
);

/** `{name}` references: imagePullSecrets, LocalObjectReference. */
export const localObjectReference = fields<{ name: string }>({ name: string });

const nodeSelectorRequirement = fields<NodeSelectorRequirement>({
  key: string,
  operator: string,
  values: list(string),
});
export const nodeSelectorTerm = fields<NodeSelectorTerm>({
  matchExpressions: list(nodeSelectorRequirement),
  matchFields: list(nodeSelectorRequirement),
});
