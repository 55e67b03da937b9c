/** Pods from templates: what ReplicaSets, Jobs, StatefulSets and DaemonSets create. */
import type { KubeObject, OwnerReference } from '../../api/types/meta.ts';
import type { Pod, PodTemplateSpec } from '../../api/types/pod.ts';

export function podFromTemplate(
  template: PodTemplateSpec | undefined,
  owner: KubeObject,
  ownerRef: OwnerReference,
  name: string,
): Pod {
  const t = structuredClone(template ?? { spec: { containers: [] } });
  const meta = t.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace ?? 'default',
      ownerReferences: [ownerRef],
    },
    spec: t.spec,
  };
  if (meta.labels !== undefined) pod.metadata.labels = meta.labels;
  if (meta.annotations !== undefined) pod.metadata.annotations = meta.annotations;
  if (meta.finalizers !== undefined) pod.metadata.finalizers = meta.finalizers;
  return pod;
}
