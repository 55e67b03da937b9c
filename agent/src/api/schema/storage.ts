/** Field schemas of PersistentVolumeClaim and PersistentVolume (claims are also embedded in pods
 * as ephemeral volumes and in StatefulSets as volumeClaimTemplates). */
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
  TypedLocalObjectReference,
} from '../types/core.ts';
import type { NFSVolumeSource } from '../types/pod.ts';
import { any, boolean, fields, list, resourceList, string, stringMap, time } from './builder.ts';
import { condition, labelSelector, nodeSelectorTerm, objectMeta, objectReference } from './meta.ts';

const typedLocalObjectReference = fields<TypedLocalObjectReference>({
  apiGroup: string,
  kind: string,
  name: string,
});

export const persistentVolumeClaimSpec = fields<PersistentVolumeClaimSpec>({
  accessModes: list(string),
  resources: fields({ requests: resourceList, limits: resourceList }),
  volumeName: string,
  storageClassName: string,
  volumeMode: string,
  selector: labelSelector,
  dataSource: typedLocalObjectReference,
  dataSourceRef: fields({ apiGroup: string, kind: string, name: string, namespace: string }),
  volumeAttributesClassName: string,
});

export const persistentVolumeClaim = fields<PersistentVolumeClaim>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: persistentVolumeClaimSpec,
  status: fields({
    phase: string,
    accessModes: list(string),
    capacity: resourceList,
    conditions: list(condition),
    allocatedResources: resourceList,
    allocatedResourceStatuses: stringMap,
    currentVolumeAttributesClassName: string,
    modifyVolumeStatus: fields({ targetVolumeAttributesClassName: string, status: string }),
  }),
});

export const nfsVolumeSource = fields<NFSVolumeSource>({ server: string, path: string, readOnly: boolean });

const secretReference = fields<{ name?: string; namespace?: string }>({ name: string, namespace: string });

export const persistentVolumeSpec = fields<PersistentVolumeSpec>({
  capacity: resourceList,
  accessModes: list(string),
  hostPath: fields({ path: string, type: string }),
  local: fields({ path: string, fsType: string }),
  nfs: nfsVolumeSource,
  csi: fields({
    driver: string,
    volumeHandle: string,
    readOnly: boolean,
    fsType: string,
    volumeAttributes: stringMap,
    controllerPublishSecretRef: secretReference,
    nodeStageSecretRef: secretReference,
    nodePublishSecretRef: secretReference,
    controllerExpandSecretRef: secretReference,
    nodeExpandSecretRef: secretReference,
  }),
  // Volume plugins kedge cannot attach: accepted, contents not checked.
  gcePersistentDisk: any,
  awsElasticBlockStore: any,
  glusterfs: any,
  iscsi: any,
  rbd: any,
  cinder: any,
  cephfs: any,
  fc: any,
  flocker: any,
  flexVolume: any,
  azureFile: any,
  azureDisk: any,
  vsphereVolume: any,
  quobyte: any,
  photonPersistentDisk: any,
  portworxVolume: any,
  scaleIO: any,
  storageos: any,
  mountOptions: list(string),
  volumeAttributesClassName: string,
  claimRef: objectReference,
  persistentVolumeReclaimPolicy: string,
  storageClassName: string,
  volumeMode: string,
  nodeAffinity: fields({ required: fields({ nodeSelectorTerms: list(nodeSelectorTerm) }) }),
});

export const persistentVolume = fields<PersistentVolume>({
  apiVersion: string,
  kind: string,
  metadata: objectMeta,
  spec: persistentVolumeSpec,
  status: fields({ phase: string, reason: string, message: string, lastPhaseTransitionTime: time }),
});
