/**
 * A pod's volumes on this node, under `<dataDir>/pods/<uid>/volumes/<kind>/<name>`: emptyDir is a
 * directory that goes with the pod; hostPath is the node's own path; configMap, secret and the
 * service account token are files projected atomically (re-projected when the object's
 * resourceVersion changes); persistentVolumeClaim resolves through the local-path provisioner.
 * `setUpVolumes` is idempotent: the worker calls it on every sync, which is how updates arrive.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { StatusError } from '../api/errors.ts';
import type { KeyToPath, Pod, Volume } from '../api/types/pod.ts';
import type { Mount } from '../runtime/runtime.ts';
import { type ProjectedFile, writeAtomically } from './atomic-writer.ts';
import { configMapValues, secretValues } from './container-env.ts';
import type { LocalPathProvisioner } from './local-path-provisioner.ts';
import type { NodeClient } from './node-client.ts';
import type { ContainerProblem } from './pod-status.ts';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const SERVICE_ACCOUNT_VOLUME = 'kube-api-access';

export interface ServiceAccountConfig {
  /** Where a program in a pod reaches the API (KUBERNETES_SERVICE_HOST/PORT). */
  readonly apiHost: string;
  readonly apiPort: number;
  /** The cluster CA in PEM, written as ca.crt. */
  readonly caCertPem: string;
}

export interface VolumeContext {
  readonly dataDir: string;
  readonly client: NodeClient;
  readonly provisioner: LocalPathProvisioner;
  readonly serviceAccount: ServiceAccountConfig | undefined;
}

export interface PodVolumes {
  /** Volume name -> directory on the node. */
  readonly paths: ReadonlyMap<string, string>;
  /** What each projected volume was last written from (`<uid>/<resourceVersion>`). */
  readonly versions: ReadonlyMap<string, string>;
}

export function podDir(dataDir: string, uid: string): string {
  return join(dataDir, 'pods', uid);
}

const mountError = (volume: string, why: string): ContainerProblem => ({
  reason: 'ContainerCreating',
  message: `MountVolume.SetUp failed for volume "${volume}": ${why}`,
});

/** The files of a configMap or secret volume: every key, or just `items`, with their modes. */
export function projectKeys(
  values: Readonly<Record<string, string>>,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number,
): ProjectedFile[] | string {
  if (items === undefined || items.length === 0)
    return Object.entries(values).map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  const files: ProjectedFile[] = [];
  for (const item of items) {
    const content = values[item.key];
    if (content === undefined) return `key "${item.key}" not found`;
    const path = normalize(item.path);
    if (path.startsWith('..') || path.startsWith('/')) return `item path "${item.path}" leaves the volume`;
    files.push({ path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** Makes every volume of the pod exist with current content; a problem names the volume that failed. */
export async function setUpVolumes(
  pod: Pod,
  ctx: VolumeContext,
  previous: PodVolumes | undefined,
): Promise<PodVolumes | ContainerProblem> {
  const uid = pod.metadata.uid ?? '';
  const ns = pod.metadata.namespace ?? 'default';
  const base = join(podDir(ctx.dataDir, uid), 'volumes');
  const paths = new Map<string, string>();
  const versions = new Map<string, string>();

  for (const v of pod.spec.volumes ?? []) {
    const out = await setUpVolume(v, pod, ns, base, ctx, previous?.versions.get(v.name));
    if ('reason' in out) return out;
    paths.set(v.name, out.path);
    if (out.version) versions.set(v.name, out.version);
  }

  if (ctx.serviceAccount && pod.spec.automountServiceAccountToken !== false) {
    const dir = join(base, 'serviceaccount', SERVICE_ACCOUNT_VOLUME);
    if (previous?.paths.has(SERVICE_ACCOUNT_VOLUME)) {
      paths.set(SERVICE_ACCOUNT_VOLUME, dir);
    } else {
      const token = await ctx.client.serviceAccountToken({
        namespace: ns,
        serviceAccountName: pod.spec.serviceAccountName ?? 'default',
        podName: pod.metadata.name ?? '',
        podUid: uid,
      });
      if (token instanceof StatusError)
        return mountError(SERVICE_ACCOUNT_VOLUME, `no token: ${token.message}`);
      await writeAtomically(dir, [
        { path: 'token', content: token, mode: 0o644 },
        { path: 'ca.crt', content: ctx.serviceAccount.caCertPem, mode: 0o644 },
        { path: 'namespace', content: ns, mode: 0o644 },
      ]);
      paths.set(SERVICE_ACCOUNT_VOLUME, dir);
    }
  }
  return { paths, versions };
}

async function setUpVolume(
  v: Volume,
  pod: Pod,
  ns: string,
  base: string,
  ctx: VolumeContext,
  lastVersion: string | undefined,
): Promise<{ path: string; version?: string } | ContainerProblem> {
  if (v.emptyDir) {
    const dir = join(base, 'empty-dir', v.name);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    return { path: dir };
  }
  if (v.hostPath) {
    const type = v.hostPath.type ?? '';
    if (type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true });
    return { path: v.hostPath.path };
  }
  if (v.configMap || v.secret) {
    const isMap = v.configMap !== undefined;
    const name = isMap ? v.configMap?.name : v.secret?.secretName;
    const kind = isMap ? 'configmap' : 'secret';
    const dir = join(base, kind, v.name);
    if (!name) return mountError(v.name, `the ${kind} volume names no object`);
    const got = isMap ? await ctx.client.getConfigMap(ns, name) : await ctx.client.getSecret(ns, name);
    const optional = (isMap ? v.configMap?.optional : v.secret?.optional) === true;
    if (got instanceof StatusError) {
      if (got.reason === 'NotFound' && optional) {
        if (lastVersion === undefined) await writeAtomically(dir, []);
        return { path: dir, version: 'absent' };
      }
      if (got.reason === 'NotFound')
        return mountError(
          v.name,
          `${kind} "${name}" not found: create it in namespace ${ns}, or mark the volume optional`,
        );
      // The API is unreachable: keep what is projected (edge autonomy), or fail the first mount.
      if (lastVersion !== undefined) return { path: dir, version: lastVersion };
      return mountError(v.name, `cannot read ${kind} "${name}": ${got.message}`);
    }
    const version = `${got.metadata.uid}/${got.metadata.resourceVersion}`;
    if (version === lastVersion) return { path: dir, version };
    const values = isMap ? configMapValues(got) : secretValues(got);
    const items = isMap ? v.configMap?.items : v.secret?.items;
    const mode = (isMap ? v.configMap?.defaultMode : v.secret?.defaultMode) ?? 0o644;
    const files = projectKeys(values, items, mode);
    if (typeof files === 'string') return mountError(v.name, `${kind} "${name}": ${files}`);
    await writeAtomically(dir, files);
    return { path: dir, version };
  }
  if (v.persistentVolumeClaim) {
    const path = await ctx.provisioner.pathForClaim(ns, v.persistentVolumeClaim.claimName, pod);
    if (typeof path !== 'string') return mountError(v.name, path.message);
    return { path };
  }
  return mountError(
    v.name,
    'this volume type is not supported by kedge (use emptyDir, hostPath, configMap, secret or persistentVolumeClaim)',
  );
}

/** The runtime mounts of one container; a mount naming no volume is a config error. */
export function containerMounts(
  pod: Pod,
  containerName: string,
  volumes: PodVolumes,
): Mount[] | ContainerProblem {
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find(
    (x) => x.name === containerName,
  );
  const mounts: Mount[] = [];
  const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const m of c?.volumeMounts ?? []) {
    const path = volumes.paths.get(m.name);
    if (path === undefined)
      return {
        reason: 'CreateContainerConfigError',
        message: `volumeMount "${m.name}" names no volume of the pod`,
      };
    const v = byName.get(m.name);
    const projected = v?.configMap !== undefined || v?.secret !== undefined;
    mounts.push({
      hostPath: m.subPath ? join(path, normalize(m.subPath)) : path,
      containerPath: m.mountPath,
      readOnly: m.readOnly === true || projected,
    });
  }
  const sa = volumes.paths.get(SERVICE_ACCOUNT_VOLUME);
  if (sa && !mounts.some((m) => m.containerPath === SERVICE_ACCOUNT_MOUNT))
    mounts.push({ hostPath: sa, containerPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
  return mounts;
}

/** Removes everything the pod had on this node (emptyDirs, projections); PVC data lives elsewhere. */
export async function tearDownVolumes(dataDir: string, uid: string): Promise<void> {
  if (uid === '') return;
  await rm(podDir(dataDir, uid), { recursive: true, force: true });
}
