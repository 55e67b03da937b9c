/**
 * Node-local persistent volumes (like Rancher's local-path-provisioner, run by the kubelet itself):
 * a claim used by a pod on this node and bound to nothing gets a directory
 * `<dataDir>/local-volumes/<pv>` and a PersistentVolume pinned to this node (nodeAffinity on
 * kubernetes.io/hostname), and the claim is bound to it. The data outlives pods. When the claim is
 * deleted, the volume's reclaim policy decides: Delete removes the directory and the PV, Retain
 * marks the PV Released and keeps the data.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StatusError } from '../api/errors.ts';
import type { PersistentVolume, PersistentVolumeClaim } from '../api/types/core.ts';
import type { Pod } from '../api/types/pod.ts';
import type { NodeClient } from './node-client.ts';

export const PROVISIONED_BY_NODE = 'kedge.io/local-path-node';
/** On a claim: `Retain` or `Delete`, the reclaim policy of the volume provisioned for it. */
export const RECLAIM_POLICY_ANNOTATION = 'kedge.io/reclaim-policy';

export interface LocalPathProvisionerOptions {
  readonly nodeName: string;
  readonly dataDir: string;
  readonly client: NodeClient;
  readonly defaultReclaimPolicy?: 'Retain' | 'Delete';
}

export interface ClaimProblem {
  readonly message: string;
}

export class LocalPathProvisioner {
  readonly #o: LocalPathProvisionerOptions;

  constructor(options: LocalPathProvisionerOptions) {
    this.#o = options;
  }

  volumeDir(pvName: string): string {
    return join(this.#o.dataDir, 'local-volumes', pvName);
  }

  /** The directory that backs the claim on this node, provisioning and binding it if needed. */
  async pathForClaim(namespace: string, claimName: string, _pod: Pod): Promise<string | ClaimProblem> {
    const { client } = this.#o;
    const claim = await client.getPersistentVolumeClaim(namespace, claimName);
    if (claim instanceof StatusError)
      return {
        message: `persistentvolumeclaim "${claimName}" ${claim.reason === 'NotFound' ? 'not found' : `unreadable: ${claim.message}`}`,
      };
    if (claim.metadata.deletionTimestamp)
      return { message: `persistentvolumeclaim "${claimName}" is being deleted` };
    const bound = claim.spec.volumeName;
    if (bound) {
      const pv = await client.getPersistentVolume(bound);
      if (pv instanceof StatusError)
        return { message: `persistentvolume "${bound}" of claim "${claimName}": ${pv.message}` };
      const path = pv.spec.local?.path ?? pv.spec.hostPath?.path;
      if (!path)
        return {
          message: `persistentvolume "${bound}" is neither local nor hostPath; kedge mounts only node-local volumes`,
        };
      const owner = pv.metadata.labels?.[PROVISIONED_BY_NODE];
      if (owner !== undefined && owner !== this.#o.nodeName)
        return { message: `persistentvolume "${bound}" lives on node ${owner}, not on ${this.#o.nodeName}` };
      await mkdir(path, { recursive: true });
      return path;
    }
    return this.#provision(claim);
  }

  async #provision(claim: PersistentVolumeClaim): Promise<string | ClaimProblem> {
    const { client, nodeName } = this.#o;
    const name = `pvc-${claim.metadata.uid}`;
    const dir = this.volumeDir(name);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    const policy =
      claim.metadata.annotations?.[RECLAIM_POLICY_ANNOTATION] === 'Retain'
        ? 'Retain'
        : claim.metadata.annotations?.[RECLAIM_POLICY_ANNOTATION] === 'Delete'
          ? 'Delete'
          : (this.#o.defaultReclaimPolicy ?? 'Delete');
    const existing = await client.getPersistentVolume(name);
    if (existing instanceof StatusError) {
      if (existing.reason !== 'NotFound')
        return { message: `cannot provision for claim: ${existing.message}` };
      const pv: PersistentVolume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels: { [PROVISIONED_BY_NODE]: nodeName } },
        spec: {
          capacity: { storage: claim.spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
          local: { path: dir },
          claimRef: {
            kind: 'PersistentVolumeClaim',
            apiVersion: 'v1',
            namespace: claim.metadata.namespace ?? 'default',
            name: claim.metadata.name ?? '',
            uid: claim.metadata.uid ?? '',
          },
          persistentVolumeReclaimPolicy: policy,
          ...(claim.spec.storageClassName ? { storageClassName: claim.spec.storageClassName } : {}),
          volumeMode: 'Filesystem',
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
              ],
            },
          },
        },
      };
      const created = await client.createPersistentVolume(pv);
      if (created instanceof StatusError)
        return { message: `cannot create persistentvolume ${name}: ${created.message}` };
      created.status = { phase: 'Bound' };
      await client.updatePersistentVolumeStatus(created);
    }
    const bound = await client.bindPersistentVolumeClaim(claim, name);
    if (bound instanceof StatusError) return { message: `cannot bind claim to ${name}: ${bound.message}` };
    return dir;
  }

  /** Releases the volumes whose claims are gone, by their reclaim policy. Returns what it did. */
  async reclaim(): Promise<string[]> {
    const { client, nodeName } = this.#o;
    const volumes = await client.listPersistentVolumes(`${PROVISIONED_BY_NODE}=${nodeName}`);
    if (volumes instanceof StatusError) return [`cannot list persistentvolumes: ${volumes.message}`];
    const done: string[] = [];
    for (const pv of volumes) {
      const ref = pv.spec.claimRef;
      if (!ref?.name) continue;
      const claim = await client.getPersistentVolumeClaim(ref.namespace ?? 'default', ref.name);
      const gone =
        (claim instanceof StatusError && claim.reason === 'NotFound') ||
        (!(claim instanceof StatusError) && claim.metadata.uid !== ref.uid);
      if (!gone) continue;
      const name = pv.metadata.name ?? '';
      if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
        await rm(pv.spec.local?.path ?? this.volumeDir(name), { recursive: true, force: true });
        const out = await client.deletePersistentVolume(name);
        done.push(out instanceof StatusError ? `delete ${name} failed: ${out.message}` : `deleted ${name}`);
      } else if (pv.status?.phase !== 'Released') {
        pv.status = { ...pv.status, phase: 'Released' };
        const out = await client.updatePersistentVolumeStatus(pv);
        done.push(out instanceof StatusError ? `release ${name} failed: ${out.message}` : `released ${name}`);
      }
    }
    return done;
  }
}
