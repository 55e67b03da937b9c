/** Field schemas of the core/v1 kinds other than Pod and the storage kinds. */
import type {
  ConfigMap,
  EndpointAddress,
  Endpoints,
  Event,
  LoadBalancerStatus,
  Namespace,
  Node,
  Secret,
  Service,
  ServiceAccount,
  ServicePort,
  Taint,
} from '../types/core.ts';
import {
  any,
  boolean,
  fields,
  integer,
  intOrString,
  list,
  resourceList,
  string,
  stringMap,
  time,
} from './builder.ts';
import { condition, localObjectReference, objectMeta, objectReference } from './meta.ts';

export const namespace = fields<Namespace>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({ finalizers: list(string) }),
  status: fields({ phase: string, conditions: list(condition) }),
});

const servicePort = fields<ServicePort>({
  name: string,
  protocol: string,
  port: integer,
  targetPort: intOrString,
  nodePort: integer,
  appProtocol: string,
});
export const loadBalancerStatus = fields<LoadBalancerStatus>({
  ingress: list(
    fields({
      ip: string,
      hostname: string,
      ipMode: string,
      ports: list(fields({ port: integer, protocol: string, error: string })),
    }),
  ),
});
export const service = fields<Service>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    type: string,
    selector: stringMap,
    ports: list(servicePort),
    clusterIP: string,
    clusterIPs: list(string),
    externalIPs: list(string),
    externalName: string,
    sessionAffinity: string,
    externalTrafficPolicy: string,
    internalTrafficPolicy: string,
    ipFamilies: list(string),
    ipFamilyPolicy: string,
    publishNotReadyAddresses: boolean,
    loadBalancerIP: string,
    loadBalancerSourceRanges: list(string),
    loadBalancerClass: string,
    allocateLoadBalancerNodePorts: boolean,
    healthCheckNodePort: integer,
    sessionAffinityConfig: fields({ clientIP: fields({ timeoutSeconds: integer }) }),
    trafficDistribution: string,
  }),
  status: fields({ loadBalancer: loadBalancerStatus, conditions: list(condition) }),
});

const endpointAddress = fields<EndpointAddress>({
  ip: string,
  hostname: string,
  nodeName: string,
  targetRef: objectReference,
});
export const endpoints = fields<Endpoints>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  subsets: list(
    fields({
      addresses: list(endpointAddress),
      notReadyAddresses: list(endpointAddress),
      ports: list(fields({ name: string, port: integer, protocol: string, appProtocol: string })),
    }),
  ),
});

export const configMap = fields<ConfigMap>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  data: stringMap,
  binaryData: stringMap,
  immutable: boolean,
});

export const secret = fields<Secret>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  type: string,
  data: stringMap,
  stringData: stringMap,
  immutable: boolean,
});

const taint = fields<Taint>({ key: string, value: string, effect: string, timeAdded: time });
export const node = fields<Node>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: fields({
    podCIDR: string,
    podCIDRs: list(string),
    unschedulable: boolean,
    taints: list(taint),
    providerID: string,
    // Deprecated dynamic kubelet config: accepted, not checked.
    configSource: any,
    externalID: string,
  }),
  status: fields({
    capacity: resourceList,
    allocatable: resourceList,
    conditions: list(condition),
    addresses: list(fields({ type: string, address: string })),
    nodeInfo: fields({
      kubeletVersion: string,
      osImage: string,
      kernelVersion: string,
      containerRuntimeVersion: string,
      architecture: string,
      operatingSystem: string,
      machineID: string,
      systemUUID: string,
      bootID: string,
      kubeProxyVersion: string,
      swap: fields({ capacity: integer }),
    }),
    daemonEndpoints: fields({ kubeletEndpoint: fields({ Port: integer }) }),
    phase: string,
    images: list(fields({ names: list(string), sizeBytes: integer })),
    volumesInUse: list(string),
    volumesAttached: list(fields({ name: string, devicePath: string })),
    config: any,
    runtimeHandlers: list(
      fields({
        name: string,
        features: fields({ recursiveReadOnlyMounts: boolean, userNamespaces: boolean }),
      }),
    ),
    features: fields({ supplementalGroupsPolicy: boolean }),
  }),
});

export const event = fields<Event>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  involvedObject: objectReference,
  reason: string,
  message: string,
  source: fields({ component: string, host: string }),
  firstTimestamp: time,
  lastTimestamp: time,
  eventTime: time,
  count: integer,
  type: string,
  reportingComponent: string,
  reportingInstance: string,
  action: string,
  related: objectReference,
  series: fields({ count: integer, lastObservedTime: time }),
});

export const serviceAccount = fields<ServiceAccount>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  secrets: list(objectReference),
  imagePullSecrets: list(localObjectReference),
  automountServiceAccountToken: boolean,
});
