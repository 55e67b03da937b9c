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

export const ownerReference = fields<OwnerReference>({
  apiVersion: string,
  kind: string,
  name: string,
  uid: string,
  controller: boolean,
  blockOwnerDeletion: boolean,
});

export const managedFieldsEntry = fields<ManagedFieldsEntry>({
  manager: string,
  operation: string,
  apiVersion: string,
  time,
  fieldsType: string,
  // FieldsV1 is a trie of `f:`/`k:`/`v:` keys: free-form by design.
  fieldsV1: any,
  subresource: string,
});

export const objectMeta = fields<ObjectMeta>({
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
});

export const labelSelector = fields<LabelSelector>({
  matchLabels: stringMap,
  matchExpressions: list(
    fields<LabelSelectorRequirement>({ key: string, operator: string, values: list(string) }),
  ),
});

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

export const objectReference = fields<ObjectReference>({
  kind: string,
  namespace: string,
  name: string,
  uid: string,
  apiVersion: string,
  resourceVersion: string,
  fieldPath: string,
});

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
