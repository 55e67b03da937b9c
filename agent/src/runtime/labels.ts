import type { LabelFilter, Labels } from './runtime.ts';

/**
 * Ownership labels. Everything the agent creates carries them, so that an agent that restarts
 * with no memory can find its sandboxes and containers again and tell them from anyone else's.
 */
export const LABEL = {
  managedBy: 'io.kedge.managed-by',
  node: 'io.kedge.node',
  role: 'io.kedge.role',
  podUid: 'io.kedge.pod.uid',
  podName: 'io.kedge.pod.name',
  podNamespace: 'io.kedge.pod.namespace',
  sandboxId: 'io.kedge.sandbox.id',
  containerName: 'io.kedge.container.name',
  containerAttempt: 'io.kedge.container.attempt',
} as const;

export const MANAGER = 'kedge';

export type Role = 'sandbox' | 'container';

/** True when every key of the filter is present in the labels with the same value. */
export function matchesLabels(labels: Labels, filter: LabelFilter | undefined): boolean {
  if (!filter) return true;
  for (const [key, value] of Object.entries(filter)) {
    if (labels[key] !== value) return false;
  }
  return true;
}

/** `--filter label=k=v` flags; the runtime narrows with them, and we check again in matchesLabels. */
export function labelFilterFlags(filter: LabelFilter | undefined): string[] {
  return Object.entries(filter ?? {}).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
}

export function labelFlags(labels: Labels): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
}

/**
 * podman and docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; Kubernetes names already fit, but a
 * name from elsewhere must not break the CLI call.
 */
export function safeName(part: string): string {
  const cleaned = part.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return /^[a-zA-Z0-9]/.test(cleaned) ? cleaned : `x${cleaned}`;
}

export function sandboxRuntimeName(pod: { namespace: string; name: string; uid: string }): string {
  return `kedge_${safeName(pod.namespace)}_${safeName(pod.name)}_${safeName(pod.uid.slice(0, 8))}`;
}

export function containerRuntimeName(
  pod: { namespace: string; name: string; uid: string },
  container: string,
  attempt: number,
): string {
  return `${sandboxRuntimeName(pod)}_${safeName(container)}_${attempt}`;
}
