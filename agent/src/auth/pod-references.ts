/**
 * The objects a pod makes its node read (the edges of Kubernetes' Node authorizer graph):
 * Secrets and ConfigMaps from volumes (plain and projected), env, envFrom and imagePullSecrets,
 * PersistentVolumeClaims from volumes (generic ephemeral ones are named `<pod>-<volume>`), and
 * its ServiceAccount. Pure: the pod in, names out.
 */
import type { Container, Pod } from '../api/types/pod.ts';

export interface PodReferences {
  readonly secrets: ReadonlySet<string>;
  readonly configMaps: ReadonlySet<string>;
  readonly claims: ReadonlySet<string>;
  readonly serviceAccount: string;
}

export function podReferences(pod: Pod): PodReferences {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const claims = new Set<string>();
  const add = (set: Set<string>, name: string | undefined) => {
    if (name) set.add(name);
  };
  const spec = pod.spec;
  for (const volume of spec?.volumes ?? []) {
    add(secrets, volume.secret?.secretName);
    add(configMaps, volume.configMap?.name);
    add(claims, volume.persistentVolumeClaim?.claimName);
    if (volume.ephemeral !== undefined) add(claims, `${pod.metadata.name}-${volume.name}`);
    for (const source of volume.projected?.sources ?? []) {
      add(secrets, source.secret?.name);
      add(configMaps, source.configMap?.name);
    }
  }
  const containers: Container[] = [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ];
  for (const container of containers) {
    for (const env of container.env ?? []) {
      add(secrets, env.valueFrom?.secretKeyRef?.name);
      add(configMaps, env.valueFrom?.configMapKeyRef?.name);
    }
    for (const from of container.envFrom ?? []) {
      add(secrets, from.secretRef?.name);
      add(configMaps, from.configMapRef?.name);
    }
  }
  for (const pull of spec?.imagePullSecrets ?? []) add(secrets, pull.name);
  const serviceAccount = spec?.serviceAccountName || spec?.serviceAccount || 'default';
  return { secrets, configMaps, claims, serviceAccount };
}
