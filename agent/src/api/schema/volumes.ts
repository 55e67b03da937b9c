/** Field schemas of pod volumes: the sources kedge mounts, and the ones it only accepts. */
import type {
  DownwardAPIVolumeFile,
  KeyToPath,
  ObjectFieldSelector,
  ResourceFieldSelector,
  Volume,
  VolumeProjection,
} from '../types/pod.ts';
import { any, boolean, fields, integer, list, quantity, string, stringMap } from './builder.ts';
import { labelSelector, objectMeta } from './meta.ts';
import { nfsVolumeSource, persistentVolumeClaimSpec } from './storage.ts';

/** Also used by environment variables (`valueFrom.fieldRef`, `valueFrom.resourceFieldRef`). */
export const objectFieldSelector = fields<ObjectFieldSelector>({ apiVersion: string, fieldPath: string });
export const resourceFieldSelector = fields<ResourceFieldSelector>({
  containerName: string,
  resource: string,
  divisor: quantity,
});
const keyToPath = fields<KeyToPath>({ key: string, path: string, mode: integer });
const downwardAPIVolumeFile = fields<DownwardAPIVolumeFile>({
  path: string,
  fieldRef: objectFieldSelector,
  resourceFieldRef: resourceFieldSelector,
  mode: integer,
});
const volumeProjection = fields<VolumeProjection>({
  secret: fields({ name: string, items: list(keyToPath), optional: boolean }),
  configMap: fields({ name: string, items: list(keyToPath), optional: boolean }),
  downwardAPI: fields({ items: list(downwardAPIVolumeFile) }),
  serviceAccountToken: fields({ audience: string, expirationSeconds: integer, path: string }),
  clusterTrustBundle: fields({
    name: string,
    signerName: string,
    labelSelector,
    optional: boolean,
    path: string,
  }),
});
export const volume = fields<Volume>(
  {
    name: string,
    emptyDir: fields({ medium: string, sizeLimit: quantity }),
    hostPath: fields({ path: string, type: string }),
    configMap: fields({ name: string, items: list(keyToPath), defaultMode: integer, optional: boolean }),
    secret: fields({ secretName: string, items: list(keyToPath), defaultMode: integer, optional: boolean }),
    persistentVolumeClaim: fields({ claimName: string, readOnly: boolean }),
    downwardAPI: fields({ items: list(downwardAPIVolumeFile), defaultMode: integer }),
    projected: fields({ sources: list(volumeProjection), defaultMode: integer }),
    nfs: nfsVolumeSource,
    csi: fields({
      driver: string,
      readOnly: boolean,
      fsType: string,
      volumeAttributes: stringMap,
      nodePublishSecretRef: fields({ name: string }),
    }),
    ephemeral: fields({
      volumeClaimTemplate: fields({ metadata: objectMeta, spec: persistentVolumeClaimSpec }),
    }),
    image: fields({ reference: string, pullPolicy: string }),
    // Volume plugins kedge cannot mount: accepted, contents not checked.
    gcePersistentDisk: any,
    awsElasticBlockStore: any,
    gitRepo: any,
    iscsi: any,
    glusterfs: any,
    rbd: any,
    flexVolume: any,
    cinder: any,
    cephfs: any,
    flocker: any,
    fc: any,
    azureFile: any,
    azureDisk: any,
    vsphereVolume: any,
    quobyte: any,
    photonPersistentDisk: any,
    portworxVolume: any,
    scaleIO: any,
    storageos: any,
  },
  {
    definition: 'io.k8s.api.core.v1.Volume',
    description: 'A named volume in a pod that any container in the pod may mount.',
    required: ['name'],
  },
);
