/** Field schemas of apps/v1, batch/v1 and autoscaling/v2 kinds. */
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from '../types/apps.ts';
import type {
  CrossVersionObjectReference,
  HorizontalPodAutoscaler,
  HPAScalingRules,
  MetricIdentifier,
  MetricTarget,
  MetricValueStatus,
} from '../types/autoscaling.ts';
import type { CronJob, Job, JobSpec } from '../types/batch.ts';
import {
  any,
  boolean,
  described,
  fields,
  integer,
  intOrString,
  list,
  quantity,
  string,
  time,
} from './builder.ts';
import { condition, labelSelector, objectMeta, objectReference } from './meta.ts';
import { podTemplateSpec } from './pod.ts';
import { persistentVolumeClaim } from './storage.ts';

export const deployment = fields<Deployment>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields(
    {
      replicas: described(integer, 'Number of desired pods. Defaults to 1.'),
      selector: described(labelSelector, 'Label query over pods that should match the replica count.'),
      template: described(podTemplateSpec, 'The pod this deployment creates.'),
      strategy: fields(
        {
          type: described(string, 'Type of deployment: "Recreate" or "RollingUpdate" (the default).'),
          rollingUpdate: fields(
            {
              maxUnavailable: described(
                intOrString,
                'Pods that can be unavailable during the update (number or percent).',
              ),
              maxSurge: described(
                intOrString,
                'Pods that can be scheduled above the desired count (number or percent).',
              ),
            },
            {
              definition: 'io.k8s.api.apps.v1.RollingUpdateDeployment',
              description: 'Spec to control the desired behavior of a rolling update.',
            },
          ),
        },
        {
          definition: 'io.k8s.api.apps.v1.DeploymentStrategy',
          description: 'How to replace existing pods with new ones.',
        },
      ),
      minReadySeconds: integer,
      revisionHistoryLimit: integer,
      paused: boolean,
      progressDeadlineSeconds: integer,
    },
    { required: ['selector', 'template'] },
  ),
  status: fields({
    observedGeneration: integer,
    replicas: integer,
    updatedReplicas: integer,
    readyReplicas: integer,
    availableReplicas: integer,
    unavailableReplicas: integer,
    terminatingReplicas: integer,
    conditions: list(condition),
    collisionCount: integer,
  }),
});

export const replicaSet = fields<ReplicaSet>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    replicas: integer,
    minReadySeconds: integer,
    selector: labelSelector,
    template: podTemplateSpec,
  }),
  status: fields({
    replicas: integer,
    fullyLabeledReplicas: integer,
    readyReplicas: integer,
    availableReplicas: integer,
    terminatingReplicas: integer,
    observedGeneration: integer,
    conditions: list(condition),
  }),
});

export const statefulSet = fields<StatefulSet>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    replicas: integer,
    selector: labelSelector,
    template: podTemplateSpec,
    volumeClaimTemplates: list(persistentVolumeClaim),
    serviceName: string,
    podManagementPolicy: string,
    updateStrategy: fields({
      type: string,
      rollingUpdate: fields({ partition: integer, maxUnavailable: intOrString }),
    }),
    revisionHistoryLimit: integer,
    minReadySeconds: integer,
    persistentVolumeClaimRetentionPolicy: fields({ whenDeleted: string, whenScaled: string }),
    ordinals: fields({ start: integer }),
  }),
  status: fields({
    observedGeneration: integer,
    replicas: integer,
    readyReplicas: integer,
    currentReplicas: integer,
    updatedReplicas: integer,
    availableReplicas: integer,
    terminatingReplicas: integer,
    currentRevision: string,
    updateRevision: string,
    collisionCount: integer,
    conditions: list(condition),
  }),
});

export const daemonSet = fields<DaemonSet>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    selector: labelSelector,
    template: podTemplateSpec,
    updateStrategy: fields({
      type: string,
      rollingUpdate: fields({ maxUnavailable: intOrString, maxSurge: intOrString }),
    }),
    minReadySeconds: integer,
    revisionHistoryLimit: integer,
  }),
  status: fields({
    currentNumberScheduled: integer,
    numberMisscheduled: integer,
    desiredNumberScheduled: integer,
    numberReady: integer,
    observedGeneration: integer,
    updatedNumberScheduled: integer,
    numberAvailable: integer,
    numberUnavailable: integer,
    collisionCount: integer,
    conditions: list(condition),
  }),
});

export const controllerRevision = fields<ControllerRevision>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  // runtime.RawExtension: any object (a patch of the pod template).
  data: any,
  revision: integer,
});

export const jobSpec = fields<JobSpec>({
  parallelism: integer,
  completions: integer,
  activeDeadlineSeconds: integer,
  backoffLimit: integer,
  backoffLimitPerIndex: integer,
  maxFailedIndexes: integer,
  selector: labelSelector,
  manualSelector: boolean,
  template: podTemplateSpec,
  ttlSecondsAfterFinished: integer,
  completionMode: string,
  suspend: boolean,
  podFailurePolicy: fields({
    rules: list(
      fields({
        action: string,
        onExitCodes: fields({ containerName: string, operator: string, values: list(integer) }),
        onPodConditions: list(fields({ type: string, status: string })),
      }),
    ),
  }),
  successPolicy: fields({ rules: list(fields({ succeededIndexes: string, succeededCount: integer })) }),
  podReplacementPolicy: string,
  managedBy: string,
});

export const job = fields<Job>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: jobSpec,
  status: fields({
    conditions: list(condition),
    startTime: time,
    completionTime: time,
    active: integer,
    succeeded: integer,
    failed: integer,
    ready: integer,
    terminating: integer,
    completedIndexes: string,
    failedIndexes: string,
    uncountedTerminatedPods: fields({ succeeded: list(string), failed: list(string) }),
  }),
});

export const cronJob = fields<CronJob>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    schedule: string,
    timeZone: string,
    startingDeadlineSeconds: integer,
    concurrencyPolicy: string,
    suspend: boolean,
    jobTemplate: fields({ metadata: objectMeta, spec: jobSpec }),
    successfulJobsHistoryLimit: integer,
    failedJobsHistoryLimit: integer,
  }),
  status: fields({ active: list(objectReference), lastScheduleTime: time, lastSuccessfulTime: time }),
});

const crossVersionObjectReference = fields<CrossVersionObjectReference>({
  kind: string,
  name: string,
  apiVersion: string,
});
const metricTarget = fields<MetricTarget>({
  type: string,
  value: quantity,
  averageValue: quantity,
  averageUtilization: integer,
});
const metricIdentifier = fields<MetricIdentifier>({ name: string, selector: labelSelector });
const metricValueStatus = fields<MetricValueStatus>({
  value: quantity,
  averageValue: quantity,
  averageUtilization: integer,
});
const scalingRules = fields<HPAScalingRules>({
  stabilizationWindowSeconds: integer,
  selectPolicy: string,
  policies: list(fields({ type: string, value: integer, periodSeconds: integer })),
  tolerance: quantity,
});

export const horizontalPodAutoscaler = fields<HorizontalPodAutoscaler>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    scaleTargetRef: crossVersionObjectReference,
    minReplicas: integer,
    maxReplicas: integer,
    metrics: list(
      fields({
        type: string,
        resource: fields({ name: string, target: metricTarget }),
        containerResource: fields({ name: string, container: string, target: metricTarget }),
        pods: fields({ metric: metricIdentifier, target: metricTarget }),
        object: fields({
          describedObject: crossVersionObjectReference,
          metric: metricIdentifier,
          target: metricTarget,
        }),
        external: fields({ metric: metricIdentifier, target: metricTarget }),
      }),
    ),
    behavior: fields({ scaleUp: scalingRules, scaleDown: scalingRules }),
  }),
  status: fields({
    observedGeneration: integer,
    lastScaleTime: time,
    currentReplicas: integer,
    desiredReplicas: integer,
    currentMetrics: list(
      fields({
        type: string,
        resource: fields({ name: string, current: metricValueStatus }),
        containerResource: fields({ name: string, container: string, current: metricValueStatus }),
        pods: fields({ metric: metricIdentifier, current: metricValueStatus }),
        object: fields({
          describedObject: crossVersionObjectReference,
          metric: metricIdentifier,
          current: metricValueStatus,
        }),
        external: fields({ metric: metricIdentifier, current: metricValueStatus }),
      }),
    ),
    conditions: list(condition),
  }),
});
