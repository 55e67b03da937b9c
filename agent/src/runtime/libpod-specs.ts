import { containerLabels, type SandboxIdentity, sandboxLabels } from './podman-args.ts';
import type { ContainerConfig, PodSandboxConfig } from './runtime.ts';

/**
 * Request bodies for podman's libpod API (`pods/create`, `containers/create`), as pure functions
 * of the configs: the same pod and container that podman-args.ts asks the CLI for, in podman's
 * "spec generator" JSON. Field names are podman 4's (pkg/specgen, pkg/domain/entities).
 */

/** `pods/create`: a pod whose infra container is named after it and holds its ports and DNS. */
export function podCreateSpec(runtimeName: string, config: PodSandboxConfig, nodeName: string) {
  const dns = config.dns;
  return {
    name: runtimeName,
    infra_name: `${runtimeName}_pause`,
    labels: sandboxLabels(config, nodeName),
    ...(config.hostname ? { hostname: config.hostname } : {}),
    portmappings: config.portMappings.map((p) => ({
      host_ip: p.hostIp,
      host_port: p.hostPort,
      container_port: p.containerPort,
      protocol: p.protocol.toLowerCase(),
    })),
    ...(dns?.servers?.length ? { dns_server: [...dns.servers] } : {}),
    ...(dns?.searches?.length ? { dns_search: [...dns.searches] } : {}),
    ...(dns?.options?.length ? { dns_option: [...dns.options] } : {}),
  };
}

/** `nofile=1024:1024` (the CLI's --ulimit form) as an OCI rlimit; undefined when it is not that form. */
export function rlimit(ulimit: string): { type: string; soft: number; hard: number } | undefined {
  const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(ulimit.trim());
  if (!match) return undefined;
  const soft = Number(match[2]);
  const hard = match[3] === undefined ? soft : Number(match[3]);
  return { type: match[1] ?? '', soft, hard };
}

/** CFS period podman uses for `--cpus` (100 ms); the quota is the limit's share of it. */
const CPU_PERIOD = 100_000;

/**
 * `containers/create` for a container in a podman pod. Kubernetes semantics as with the CLI:
 * `command` replaces the image's entrypoint (and so its cmd), `args` replaces its cmd; swap equals
 * memory (a hard limit); the image is never pulled here (pulling is the kubelet's decision).
 */
export function containerCreateSpec(
  runtimeName: string,
  sandbox: SandboxIdentity,
  config: ContainerConfig,
  options: { readonly nodeName: string; readonly ulimits: readonly string[] },
) {
  const memory =
    config.memoryLimitBytes === undefined
      ? undefined
      : { limit: Math.floor(config.memoryLimitBytes), swap: Math.floor(config.memoryLimitBytes) };
  const cpu =
    config.cpuLimit === undefined
      ? undefined
      : { quota: Math.round(config.cpuLimit * CPU_PERIOD), period: CPU_PERIOD };
  const command = [...(config.args ?? [])];
  const entrypoint = config.command === undefined ? undefined : [...config.command];
  // podman uses the image's cmd only when no entrypoint is given, as Kubernetes wants.
  return {
    name: runtimeName,
    pod: sandbox.id,
    image: config.image,
    labels: containerLabels(sandbox, config, options.nodeName),
    ...(entrypoint !== undefined && entrypoint.length > 0 ? { entrypoint } : {}),
    ...(command.length > 0 ? { command } : {}),
    ...(config.env && Object.keys(config.env).length > 0 ? { env: { ...config.env } } : {}),
    mounts: (config.mounts ?? []).map((m) => ({
      destination: m.containerPath,
      source: m.hostPath,
      type: 'bind',
      options: ['rbind', m.readOnly ? 'ro' : 'rw'],
    })),
    ...(memory || cpu ? { resource_limits: { ...(memory ? { memory } : {}), ...(cpu ? { cpu } : {}) } } : {}),
    ...(config.workingDir ? { work_dir: config.workingDir } : {}),
    ...(config.user ? { user: config.user } : {}),
    r_limits: options.ulimits.map(rlimit).filter((r) => r !== undefined),
  };
}
