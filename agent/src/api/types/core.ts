/** core/v1 kinds other than Pod. */
import type { Condition, KubeObject, LabelSelector } from './meta.ts';
import type {
  IntOrString,
  NFSVolumeSource,
  NodeSelectorTerm,
  OpaqueVolumeSource,
  Protocol,
  ResourceList,
  TaintEffect,
} from './pod.ts';

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: 'Active' | 'Terminating'; conditions?: Condition[] };
}

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  targetPort?: IntOrString;
  nodePort?: number;
  appProtocol?: string;
}
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export interface ServiceSpec {
  type?: ServiceType;
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  clusterIPs?: string[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: 'None' | 'ClientIP';
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  publishNotReadyAddresses?: boolean;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  loadBalancerClass?: string;
  allocateLoadBalancerNodePorts?: boolean;
  healthCheckNodePort?: number;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  trafficDistribution?: string;
}
export interface PortStatus {
  port: number;
  protocol: Protocol;
  error?: string;
}
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
  ports?: PortStatus[];
}
export interface LoadBalancerStatus {
  ingress?: LoadBalancerIngress[];
}
export interface Service extends KubeObject {
  spec: ServiceSpec;
  status?: { loadBalancer?: LoadBalancerStatus; conditions?: Condition[] };
}

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}
export interface Endpoints extends KubeObject {
  subsets?: EndpointSubset[];
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
}

export interface Secret extends KubeObject {
  type?: string;
  /** Base64 values, opaque to the store (encryption at rest happens above it). */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  immutable?: boolean;
}

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}
export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}
export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  unschedulable?: boolean;
  taints?: Taint[];
  providerID?: string;
  /** Deprecated, still in v1 NodeSpec. */
  configSource?: Record<string, unknown>;
  /** Deprecated, still in v1 NodeSpec. */
  externalID?: string;
}
export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  conditions?: Condition[];
  addresses?: NodeAddress[];
  nodeInfo?: {
    kubeletVersion?: string;
    osImage?: string;
    kernelVersion?: string;
    containerRuntimeVersion?: string;
    architecture?: string;
    operatingSystem?: string;
    machineID?: string;
    systemUUID?: string;
    bootID?: string;
    kubeProxyVersion?: string;
    swap?: { capacity?: number };
  };
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  phase?: string;
  images?: { names?: string[]; sizeBytes?: number }[];
  volumesInUse?: string[];
  volumesAttached?: { name: string; devicePath: string }[];
  /** The kubelet's dynamic config status (deprecated feature). */
  config?: Record<string, unknown>;
  runtimeHandlers?: {
    name?: string;
    features?: { recursiveReadOnlyMounts?: boolean; userNamespaces?: boolean };
  }[];
  features?: { supplementalGroupsPolicy?: boolean };
}
export interface Node extends KubeObject {
  spec?: NodeSpec;
  status?: NodeStatus;
}

export interface Event extends KubeObject {
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
  type?: 'Normal' | 'Warning';
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  related?: ObjectReference;
  series?: { count?: number; lastObservedTime?: string };
}

export type AccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';
export interface PersistentVolumeClaimSpec {
  accessModes?: AccessMode[];
  resources?: { requests?: ResourceList; limits?: ResourceList };
  volumeName?: string;
  storageClassName?: string;
  volumeMode?: 'Filesystem' | 'Block';
  selector?: LabelSelector;
  dataSource?: TypedLocalObjectReference;
  dataSourceRef?: TypedLocalObjectReference & { namespace?: string };
  volumeAttributesClassName?: string;
}
export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}
export interface PersistentVolumeClaim extends KubeObject {
  spec: PersistentVolumeClaimSpec;
  status?: {
    phase?: 'Pending' | 'Bound' | 'Lost';
    accessModes?: AccessMode[];
    capacity?: ResourceList;
    conditions?: Condition[];
    allocatedResources?: ResourceList;
    allocatedResourceStatuses?: Record<string, string>;
    currentVolumeAttributesClassName?: string;
    modifyVolumeStatus?: { targetVolumeAttributesClassName?: string; status: string };
  };
}
export interface PersistentVolumeSpec {
  capacity?: ResourceList;
  accessModes?: AccessMode[];
  hostPath?: { path: string; type?: string };
  local?: { path: string; fsType?: string };
  nfs?: NFSVolumeSource;
  csi?: {
    driver: string;
    volumeHandle: string;
    readOnly?: boolean;
    fsType?: string;
    volumeAttributes?: Record<string, string>;
    controllerPublishSecretRef?: { name?: string; namespace?: string };
    nodeStageSecretRef?: { name?: string; namespace?: string };
    nodePublishSecretRef?: { name?: string; namespace?: string };
    controllerExpandSecretRef?: { name?: string; namespace?: string };
    nodeExpandSecretRef?: { name?: string; namespace?: string };
  };
  gcePersistentDisk?: OpaqueVolumeSource;
  awsElasticBlockStore?: OpaqueVolumeSource;
  glusterfs?: OpaqueVolumeSource;
  iscsi?: OpaqueVolumeSource;
  rbd?: OpaqueVolumeSource;
  cinder?: OpaqueVolumeSource;
  cephfs?: OpaqueVolumeSource;
  fc?: OpaqueVolumeSource;
  flocker?: OpaqueVolumeSource;
  flexVolume?: OpaqueVolumeSource;
  azureFile?: OpaqueVolumeSource;
  azureDisk?: OpaqueVolumeSource;
  vsphereVolume?: OpaqueVolumeSource;
  quobyte?: OpaqueVolumeSource;
  photonPersistentDisk?: OpaqueVolumeSource;
  portworxVolume?: OpaqueVolumeSource;
  scaleIO?: OpaqueVolumeSource;
  storageos?: OpaqueVolumeSource;
  mountOptions?: string[];
  volumeAttributesClassName?: string;
  claimRef?: ObjectReference;
  persistentVolumeReclaimPolicy?: 'Retain' | 'Delete' | 'Recycle';
  storageClassName?: string;
  volumeMode?: 'Filesystem' | 'Block';
  nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
}
export interface PersistentVolume extends KubeObject {
  spec: PersistentVolumeSpec;
  status?: {
    phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';
    reason?: string;
    message?: string;
    lastPhaseTransitionTime?: string;
  };
}

export interface ServiceAccount extends KubeObject {
  secrets?: ObjectReference[];
  imagePullSecrets?: { name: string }[];
  automountServiceAccountToken?: boolean;
}

/** The autoscaling/v1 Scale subresource of deployments, replicasets and statefulsets. */
export interface Scale extends KubeObject {
  spec: { replicas?: number };
  status?: { replicas: number; selector?: string };
}
