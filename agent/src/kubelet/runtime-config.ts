/**
 * From Kubernetes objects to the runtime's configs: the sandbox (name, hostname, published host
 * ports) and one container run (image, command, args, working dir, limits, user). Pure; the
 * environment and mounts are resolved elsewhere and passed in.
 */
import { quantityMilliValue, quantityValue } from '../api/quantity.ts';
import type { Container, Pod } from '../api/types/pod.ts';
import type { ContainerConfig, Mount, PodSandboxConfig, PortMapping } from '../runtime/runtime.ts';

/** What kedge cannot run yet, said plainly, rather than running the pod differently from its spec. */
export function unsupportedFeature(pod: Pod): { reason: string; message: string } | undefined {
  const why = (what: string) => ({
    reason: 'CreateContainerConfigError',
    message: `${what} is not supported by kedge yet; remove it from the pod spec`,
  });
  if (pod.spec.hostNetwork) return why('hostNetwork');
  if ((pod.spec.initContainers ?? []).some((c) => c.restartPolicy === 'Always'))
    return why('a sidecar init container (restartPolicy: Always)');
  return undefined;
}

/** Published ports: every containerPort with a hostPort, on its hostIP or the node's address. */
export function portMappings(pod: Pod, nodeAddress: string): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({
        hostIp: p.hostIP ?? nodeAddress,
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol: p.protocol ?? 'TCP',
      });
    }
  }
  return out;
}

export function sandboxConfig(pod: Pod, nodeAddress: string): PodSandboxConfig {
  const m = pod.metadata;
  return {
    name: m.name ?? '',
    uid: m.uid ?? '',
    namespace: m.namespace ?? 'default',
    labels: {},
    hostname: (pod.spec.hostname ?? m.name ?? 'pod').slice(0, 63),
    portMappings: portMappings(pod, nodeAddress),
  };
}

/** Limits the runtime enforces: memory in bytes, CPU in cores. */
export function containerLimits(c: Container): { memoryLimitBytes?: number; cpuLimit?: number } {
  const limits = c.resources?.limits ?? {};
  const out: { memoryLimitBytes?: number; cpuLimit?: number } = {};
  if (limits.memory) out.memoryLimitBytes = Number(quantityValue(limits.memory));
  if (limits.cpu) out.cpuLimit = Number(quantityMilliValue(limits.cpu)) / 1000;
  return out;
}

export function containerConfig(
  c: Container,
  attempt: number,
  env: Readonly<Record<string, string>>,
  mounts: readonly Mount[],
  expand: (s: string) => string,
): ContainerConfig {
  const sc = c.securityContext;
  const user =
    sc?.runAsUser !== undefined
      ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}`
      : undefined;
  return {
    name: c.name,
    image: c.image ?? '',
    ...(c.command ? { command: c.command.map(expand) } : {}),
    ...(c.args ? { args: c.args.map(expand) } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    env,
    mounts,
    ...containerLimits(c),
    ...(user ? { user } : {}),
    attempt,
  };
}
