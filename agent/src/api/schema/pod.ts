/** Field schemas of core/v1 Pod: containers, volumes, affinity, the pod spec and status. */
import type {
  Affinity,
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  EnvFromSource,
  EnvVar,
  EphemeralContainer,
  ExecAction,
  HTTPGetAction,
  KeyRef,
  LifecycleHandler,
  Pod,
  PodAffinityTerm,
  PodSecurityContext,
  PodSpec,
  PodStatus,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  SELinuxOptions,
  SeccompProfile,
  SecurityContext,
  TCPSocketAction,
  Toleration,
  TopologySpreadConstraintV1,
  VolumeMount,
  WeightedPodAffinityTerm,
  WindowsSecurityContextOptions,
} from '../types/pod.ts';
import {
  boolean,
  described,
  type Fields,
  fields,
  integer,
  intOrString,
  list,
  resourceList,
  string,
  stringMap,
  time,
} from './builder.ts';
import { condition, labelSelector, localObjectReference, nodeSelectorTerm, objectMeta } from './meta.ts';
import { objectFieldSelector, resourceFieldSelector, volume } from './volumes.ts';

const keyRef = fields<KeyRef>({ name: string, key: string, optional: boolean });
const optionalReference = fields<{ name?: string; optional?: boolean }>({ name: string, optional: boolean });

const envVar = fields<EnvVar>(
  {
    name: string,
    value: string,
    valueFrom: fields({
      fieldRef: objectFieldSelector,
      resourceFieldRef: resourceFieldSelector,
      configMapKeyRef: keyRef,
      secretKeyRef: keyRef,
    }),
  },
  {
    definition: 'io.k8s.api.core.v1.EnvVar',
    description: 'An environment variable present in a container.',
    required: ['name'],
  },
);
const envFromSource = fields<EnvFromSource>({
  prefix: string,
  configMapRef: optionalReference,
  secretRef: optionalReference,
});
const containerPort = fields<ContainerPort>(
  {
    name: string,
    containerPort: integer,
    hostPort: integer,
    hostIP: string,
    protocol: string,
  },
  {
    definition: 'io.k8s.api.core.v1.ContainerPort',
    description: 'A network port in a single container.',
    required: ['containerPort'],
  },
);
const resourceRequirements = fields<ResourceRequirements>(
  {
    limits: resourceList,
    requests: resourceList,
    claims: list(fields({ name: string, request: string })),
  },
  {
    definition: 'io.k8s.api.core.v1.ResourceRequirements',
    description: 'Compute resource requirements: limits and requests.',
  },
);
const httpGet = fields<HTTPGetAction>({
  path: string,
  port: intOrString,
  host: string,
  scheme: string,
  httpHeaders: list(fields({ name: string, value: string })),
});
const tcpSocket = fields<TCPSocketAction>({ port: intOrString, host: string });
const exec = fields<ExecAction>({ command: list(string) });
const probe = fields<Probe>(
  {
    exec,
    httpGet,
    tcpSocket,
    grpc: fields({ port: integer, service: string }),
    initialDelaySeconds: integer,
    timeoutSeconds: integer,
    periodSeconds: integer,
    successThreshold: integer,
    failureThreshold: integer,
    terminationGracePeriodSeconds: integer,
  },
  {
    definition: 'io.k8s.api.core.v1.Probe',
    description: 'A health check performed against a container to decide whether it is alive or ready.',
  },
);
const lifecycleHandler = fields<LifecycleHandler>({
  exec,
  httpGet,
  tcpSocket,
  sleep: fields({ seconds: integer }),
});
const volumeMount = fields<VolumeMount>(
  {
    name: string,
    mountPath: string,
    readOnly: boolean,
    recursiveReadOnly: string,
    subPath: string,
    subPathExpr: string,
    mountPropagation: string,
  },
  {
    definition: 'io.k8s.api.core.v1.VolumeMount',
    description: 'The mounting of a volume within a container.',
    required: ['name', 'mountPath'],
  },
);
const seLinuxOptions = fields<SELinuxOptions>({ user: string, role: string, type: string, level: string });
const windowsOptions = fields<WindowsSecurityContextOptions>({
  gmsaCredentialSpecName: string,
  gmsaCredentialSpec: string,
  runAsUserName: string,
  hostProcess: boolean,
});
const seccompProfile = fields<SeccompProfile>({ type: string, localhostProfile: string });
const securityContext = fields<SecurityContext>(
  {
    privileged: boolean,
    runAsUser: integer,
    runAsGroup: integer,
    runAsNonRoot: boolean,
    readOnlyRootFilesystem: boolean,
    allowPrivilegeEscalation: boolean,
    capabilities: fields({ add: list(string), drop: list(string) }),
    seLinuxOptions,
    windowsOptions,
    procMount: string,
    seccompProfile,
    appArmorProfile: seccompProfile,
  },
  {
    definition: 'io.k8s.api.core.v1.SecurityContext',
    description: 'Security configuration applied to a container.',
  },
);

/** Container and EphemeralContainer share every field but one. */
const containerFields: Fields<Container> = {
  name: described(string, 'Name of the container, a DNS_LABEL unique within the pod. Cannot be updated.'),
  image: described(string, 'Container image name (docker pull syntax).'),
  command: list(string),
  args: list(string),
  workingDir: string,
  ports: list(containerPort),
  env: list(envVar),
  envFrom: list(envFromSource),
  resources: resourceRequirements,
  volumeMounts: list(volumeMount),
  volumeDevices: list(fields({ name: string, devicePath: string })),
  resizePolicy: list(fields({ resourceName: string, restartPolicy: string })),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: fields({ postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: string }),
  terminationMessagePath: string,
  terminationMessagePolicy: string,
  imagePullPolicy: string,
  securityContext,
  stdin: boolean,
  stdinOnce: boolean,
  tty: boolean,
  restartPolicy: string,
};
export const container = fields<Container>(containerFields, {
  definition: 'io.k8s.api.core.v1.Container',
  description: 'A single application container that you want to run within a pod.',
  required: ['name'],
});
const ephemeralContainer = fields<EphemeralContainer>(
  { ...containerFields, targetContainerName: string },
  {
    definition: 'io.k8s.api.core.v1.EphemeralContainer',
    description:
      'A temporary container added to an existing pod for user-initiated activities such as debugging.',
    required: ['name'],
  },
);

const podAffinityTerm = fields<PodAffinityTerm>({
  labelSelector,
  namespaces: list(string),
  namespaceSelector: labelSelector,
  topologyKey: string,
  matchLabelKeys: list(string),
  mismatchLabelKeys: list(string),
});
const weightedPodAffinityTerm = fields<WeightedPodAffinityTerm>({ weight: integer, podAffinityTerm });
const podAffinity = fields<NonNullable<Affinity['podAffinity']>>({
  requiredDuringSchedulingIgnoredDuringExecution: list(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: list(weightedPodAffinityTerm),
});
const affinity = fields<Affinity>({
  nodeAffinity: fields({
    requiredDuringSchedulingIgnoredDuringExecution: fields({ nodeSelectorTerms: list(nodeSelectorTerm) }),
    preferredDuringSchedulingIgnoredDuringExecution: list(
      fields({ weight: integer, preference: nodeSelectorTerm }),
    ),
  }),
  podAffinity,
  podAntiAffinity: podAffinity,
});
const toleration = fields<Toleration>({
  key: string,
  operator: string,
  value: string,
  effect: string,
  tolerationSeconds: integer,
});
const topologySpreadConstraint = fields<TopologySpreadConstraintV1>({
  maxSkew: integer,
  topologyKey: string,
  whenUnsatisfiable: string,
  labelSelector,
  minDomains: integer,
  matchLabelKeys: list(string),
  nodeAffinityPolicy: string,
  nodeTaintsPolicy: string,
});
const podSecurityContext = fields<PodSecurityContext>({
  seLinuxOptions,
  windowsOptions,
  runAsUser: integer,
  runAsGroup: integer,
  runAsNonRoot: boolean,
  supplementalGroups: list(integer),
  supplementalGroupsPolicy: string,
  fsGroup: integer,
  fsGroupChangePolicy: string,
  sysctls: list(fields({ name: string, value: string })),
  seccompProfile,
  appArmorProfile: seccompProfile,
  seLinuxChangePolicy: string,
});

export const podSpec = fields<PodSpec>(
  {
    containers: described(list(container), 'Containers belonging to the pod. There must be at least one.'),
    initContainers: described(
      list(container),
      'Containers run in order, each to completion, before the app containers start.',
    ),
    ephemeralContainers: list(ephemeralContainer),
    volumes: list(volume),
    restartPolicy: string,
    terminationGracePeriodSeconds: integer,
    activeDeadlineSeconds: integer,
    dnsPolicy: string,
    nodeSelector: stringMap,
    serviceAccountName: string,
    serviceAccount: string,
    automountServiceAccountToken: boolean,
    nodeName: string,
    hostNetwork: boolean,
    hostPID: boolean,
    hostIPC: boolean,
    hostUsers: boolean,
    shareProcessNamespace: boolean,
    hostname: string,
    subdomain: string,
    setHostnameAsFQDN: boolean,
    affinity,
    schedulerName: string,
    tolerations: list(toleration),
    hostAliases: list(fields({ ip: string, hostnames: list(string) })),
    priority: integer,
    priorityClassName: string,
    preemptionPolicy: string,
    topologySpreadConstraints: list(topologySpreadConstraint),
    securityContext: podSecurityContext,
    imagePullSecrets: list(localObjectReference),
    enableServiceLinks: boolean,
    dnsConfig: fields({
      nameservers: list(string),
      searches: list(string),
      options: list(fields({ name: string, value: string })),
    }),
    readinessGates: list(fields({ conditionType: string })),
    runtimeClassName: string,
    overhead: resourceList,
    os: fields({ name: string }),
    schedulingGates: list(fields({ name: string })),
    resourceClaims: list(
      fields({ name: string, resourceClaimName: string, resourceClaimTemplateName: string }),
    ),
    resources: resourceRequirements,
  },
  {
    definition: 'io.k8s.api.core.v1.PodSpec',
    description: 'A description of a pod.',
    required: ['containers'],
  },
);

export const podTemplateSpec = fields<PodTemplateSpec>(
  { metadata: objectMeta, spec: podSpec },
  {
    definition: 'io.k8s.api.core.v1.PodTemplateSpec',
    description: 'The data a pod should have when created from a template.',
  },
);

const containerState = fields<ContainerState>({
  waiting: fields({ reason: string, message: string }),
  running: fields({ startedAt: time }),
  terminated: fields({
    exitCode: integer,
    signal: integer,
    reason: string,
    message: string,
    startedAt: time,
    finishedAt: time,
    containerID: string,
  }),
});
const containerStatus = fields<ContainerStatus>({
  name: string,
  state: containerState,
  lastState: containerState,
  ready: boolean,
  restartCount: integer,
  image: string,
  imageID: string,
  containerID: string,
  started: boolean,
  allocatedResources: resourceList,
  resources: resourceRequirements,
  volumeMounts: list(
    fields({ name: string, mountPath: string, readOnly: boolean, recursiveReadOnly: string }),
  ),
  user: fields({
    linux: fields({ uid: integer, gid: integer, supplementalGroups: list(integer) }),
  }),
  allocatedResourcesStatus: list(
    fields({ name: string, resources: list(fields({ resourceID: string, health: string })) }),
  ),
  stopSignal: string,
});
const podIP = fields<{ ip: string }>({ ip: string });
const podStatus = fields<PodStatus>({
  phase: string,
  conditions: list(condition),
  message: string,
  reason: string,
  nominatedNodeName: string,
  hostIP: string,
  hostIPs: list(podIP),
  podIP: string,
  podIPs: list(podIP),
  startTime: time,
  initContainerStatuses: list(containerStatus),
  containerStatuses: list(containerStatus),
  ephemeralContainerStatuses: list(containerStatus),
  qosClass: string,
  resize: string,
  resourceClaimStatuses: list(fields({ name: string, resourceClaimName: string })),
  observedGeneration: integer,
});

export const pod = fields<Pod>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: podSpec,
  status: podStatus,
});
