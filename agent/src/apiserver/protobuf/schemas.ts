/**
 * Field numbers of the Kubernetes messages kubectl 1.33's typed `create` commands send as
 * protobuf (k8s.io/api generated.proto): `create namespace|configmap|secret|serviceaccount|
 * deployment|job|cronjob|service` and the pod templates inside them. The numbers for the fields
 * those commands set were checked against bodies captured from kubectl 1.33 itself; PodSpec's
 * priority (25), preemptionPolicy (31) and topologySpreadConstraints (33) against the Go struct
 * tags of k8s.io/api core/v1 (no typed `create` sets them; a typed Go client's template may).
 *
 * `presence` marks Go pointer fields (`replicas: 0` means zero, not "unset"); other zero values
 * are Go `omitempty` fields and become absent keys, as in Kubernetes' JSON.
 */

export type ScalarType = 'string' | 'bytes' | 'bool' | 'int' | 'time' | 'intOrString' | 'quantity';

export type FieldType =
  | ScalarType
  | { readonly message: MessageSchema }
  | { readonly map: 'string' | 'bytes' | 'quantity' };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly repeated?: boolean;
  readonly presence?: boolean;
}

export type MessageSchema = Readonly<Record<number, FieldSpec>>;

const f = (
  name: string,
  type: FieldType,
  options: { repeated?: boolean; presence?: boolean } = {},
): FieldSpec => ({
  name,
  type,
  ...options,
});
const list = (name: string, type: FieldType): FieldSpec => f(name, type, { repeated: true });
const ptr = (name: string, type: FieldType): FieldSpec => f(name, type, { presence: true });
const msg = (message: MessageSchema): FieldType => ({ message });

const ownerReference: MessageSchema = {
  1: f('kind', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: ptr('controller', 'bool'),
  7: ptr('blockOwnerDeletion', 'bool'),
};

export const objectMeta: MessageSchema = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  5: f('uid', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('generation', 'int'),
  8: f('creationTimestamp', 'time'),
  9: f('deletionTimestamp', 'time'),
  10: ptr('deletionGracePeriodSeconds', 'int'),
  11: f('labels', { map: 'string' }),
  12: f('annotations', { map: 'string' }),
  13: list('ownerReferences', msg(ownerReference)),
  14: list('finalizers', 'string'),
};

const objectReference: MessageSchema = {
  1: f('kind', 'string'),
  2: f('namespace', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: f('resourceVersion', 'string'),
  7: f('fieldPath', 'string'),
};

const labelSelector: MessageSchema = {
  1: f('matchLabels', { map: 'string' }),
  2: list(
    'matchExpressions',
    msg({ 1: f('key', 'string'), 2: f('operator', 'string'), 3: list('values', 'string') }),
  ),
};

const containerPort: MessageSchema = {
  1: f('name', 'string'),
  2: f('hostPort', 'int'),
  3: f('containerPort', 'int'),
  4: f('protocol', 'string'),
  5: f('hostIP', 'string'),
};

const container: MessageSchema = {
  1: f('name', 'string'),
  2: f('image', 'string'),
  3: list('command', 'string'),
  4: list('args', 'string'),
  5: f('workingDir', 'string'),
  6: list('ports', msg(containerPort)),
  7: list('env', msg({ 1: f('name', 'string'), 2: f('value', 'string') })),
  8: f('resources', msg({ 1: f('limits', { map: 'quantity' }), 2: f('requests', { map: 'quantity' }) })),
  9: list(
    'volumeMounts',
    msg({
      1: f('name', 'string'),
      2: f('readOnly', 'bool'),
      3: f('mountPath', 'string'),
      4: f('subPath', 'string'),
    }),
  ),
  13: f('terminationMessagePath', 'string'),
  14: f('imagePullPolicy', 'string'),
  16: f('stdin', 'bool'),
  17: f('stdinOnce', 'bool'),
  18: f('tty', 'bool'),
  20: f('terminationMessagePolicy', 'string'),
};

/** maxSkew, topologyKey and whenUnsatisfiable have no `omitempty` in Go: a zero is kept for validation. */
const topologySpreadConstraint: MessageSchema = {
  1: ptr('maxSkew', 'int'),
  2: ptr('topologyKey', 'string'),
  3: ptr('whenUnsatisfiable', 'string'),
  4: f('labelSelector', msg(labelSelector)),
  5: ptr('minDomains', 'int'),
  6: ptr('nodeAffinityPolicy', 'string'),
  7: ptr('nodeTaintsPolicy', 'string'),
  8: list('matchLabelKeys', 'string'),
};

const podSpec: MessageSchema = {
  2: list('containers', msg(container)),
  3: f('restartPolicy', 'string'),
  4: ptr('terminationGracePeriodSeconds', 'int'),
  5: ptr('activeDeadlineSeconds', 'int'),
  6: f('dnsPolicy', 'string'),
  7: f('nodeSelector', { map: 'string' }),
  8: f('serviceAccountName', 'string'),
  9: f('serviceAccount', 'string'),
  10: f('nodeName', 'string'),
  11: f('hostNetwork', 'bool'),
  12: f('hostPID', 'bool'),
  13: f('hostIPC', 'bool'),
  16: f('hostname', 'string'),
  17: f('subdomain', 'string'),
  19: f('schedulerName', 'string'),
  20: list('initContainers', msg(container)),
  24: f('priorityClassName', 'string'),
  25: ptr('priority', 'int'),
  31: ptr('preemptionPolicy', 'string'),
  33: list('topologySpreadConstraints', msg(topologySpreadConstraint)),
};

const podTemplateSpec: MessageSchema = { 1: f('metadata', msg(objectMeta)), 2: f('spec', msg(podSpec)) };

const jobSpec: MessageSchema = {
  1: ptr('parallelism', 'int'),
  2: ptr('completions', 'int'),
  3: ptr('activeDeadlineSeconds', 'int'),
  4: f('selector', msg(labelSelector)),
  5: ptr('manualSelector', 'bool'),
  6: f('template', msg(podTemplateSpec)),
  7: ptr('backoffLimit', 'int'),
  8: ptr('ttlSecondsAfterFinished', 'int'),
  9: ptr('completionMode', 'string'),
  10: ptr('suspend', 'bool'),
};

const servicePort: MessageSchema = {
  1: f('name', 'string'),
  2: f('protocol', 'string'),
  3: f('port', 'int'),
  4: f('targetPort', 'intOrString'),
  5: f('nodePort', 'int'),
  6: ptr('appProtocol', 'string'),
};

const meta = f('metadata', msg(objectMeta));

/** Schemas by `apiVersion/kind`. Status fields are left out: a create's status is the server's. */
export const schemasByKind: Readonly<Record<string, MessageSchema>> = {
  'v1/Namespace': {
    1: meta,
    2: f('spec', msg({ 1: list('finalizers', 'string') })),
  },
  'v1/ConfigMap': {
    1: meta,
    2: f('data', { map: 'string' }),
    3: f('binaryData', { map: 'bytes' }),
    4: ptr('immutable', 'bool'),
  },
  'v1/Secret': {
    1: meta,
    2: f('data', { map: 'bytes' }),
    3: f('type', 'string'),
    4: f('stringData', { map: 'string' }),
    5: ptr('immutable', 'bool'),
  },
  'v1/ServiceAccount': {
    1: meta,
    2: list('secrets', msg(objectReference)),
    3: list('imagePullSecrets', msg({ 1: f('name', 'string') })),
    4: ptr('automountServiceAccountToken', 'bool'),
  },
  'v1/Service': {
    1: meta,
    2: f(
      'spec',
      msg({
        1: list('ports', msg(servicePort)),
        2: f('selector', { map: 'string' }),
        3: f('clusterIP', 'string'),
        4: f('type', 'string'),
        5: list('externalIPs', 'string'),
        7: f('sessionAffinity', 'string'),
        10: f('externalName', 'string'),
      }),
    ),
  },
  'apps/v1/Deployment': {
    1: meta,
    2: f(
      'spec',
      msg({
        1: ptr('replicas', 'int'),
        2: f('selector', msg(labelSelector)),
        3: f('template', msg(podTemplateSpec)),
        4: f('strategy', msg({ 1: f('type', 'string') })),
        5: f('minReadySeconds', 'int'),
        6: ptr('revisionHistoryLimit', 'int'),
        7: f('paused', 'bool'),
        9: ptr('progressDeadlineSeconds', 'int'),
      }),
    ),
  },
  'batch/v1/Job': { 1: meta, 2: f('spec', msg(jobSpec)) },
  'batch/v1/CronJob': {
    1: meta,
    2: f(
      'spec',
      msg({
        1: f('schedule', 'string'),
        2: ptr('startingDeadlineSeconds', 'int'),
        3: f('concurrencyPolicy', 'string'),
        4: ptr('suspend', 'bool'),
        5: f('jobTemplate', msg({ 1: meta, 2: f('spec', msg(jobSpec)) })),
        6: ptr('successfulJobsHistoryLimit', 'int'),
        7: ptr('failedJobsHistoryLimit', 'int'),
        8: ptr('timeZone', 'string'),
      }),
    ),
  },
};
