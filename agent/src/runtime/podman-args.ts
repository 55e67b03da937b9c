import { LABEL, labelFlags, MANAGER } from './labels.ts';
import type { ContainerConfig, Labels, PodSandboxConfig, PortMapping } from './runtime.ts';

/**
 * Argument vectors for the container CLI, as pure functions of the configs: what we ask podman to
 * do is testable without podman. Two sandbox kinds: a podman pod (its infra container is the
 * pause container), or for docker, which has no pods, a pause container that others join.
 */
export type SandboxKind = 'pod' | 'pause-container';

export interface SandboxArgsOptions {
  readonly nodeName: string;
  readonly kind: SandboxKind;
  /** docker only: the image and command of the pause container. */
  readonly pauseImage: string;
  readonly pauseCommand: readonly string[];
  /** The machine's container flags (ulimits), needed by the pause container too. */
  readonly containerFlags: readonly string[];
}

export function sandboxLabels(config: PodSandboxConfig, nodeName: string): Labels {
  return {
    ...config.labels,
    [LABEL.managedBy]: MANAGER,
    [LABEL.node]: nodeName,
    [LABEL.role]: 'sandbox',
    [LABEL.podUid]: config.uid,
    [LABEL.podName]: config.name,
    [LABEL.podNamespace]: config.namespace,
  };
}

export function publishFlag(port: PortMapping): string {
  const proto = port.protocol.toLowerCase();
  const host = port.hostIp.includes(':') ? `[${port.hostIp}]` : port.hostIp;
  return `${host ? `${host}:` : ''}${port.hostPort}:${port.containerPort}/${proto}`;
}

function dnsFlags(config: PodSandboxConfig): string[] {
  const dns = config.dns;
  if (!dns) return [];
  return [
    ...(dns.servers ?? []).flatMap((s) => ['--dns', s]),
    ...(dns.searches ?? []).flatMap((s) => ['--dns-search', s]),
    ...(dns.options ?? []).flatMap((s) => ['--dns-option', s]),
  ];
}

/** `podman pod create ...` or, for docker, `docker run -d <pause> ...`. */
export function sandboxCreateArgs(
  runtimeName: string,
  config: PodSandboxConfig,
  options: SandboxArgsOptions,
): string[] {
  const common = [
    '--name',
    runtimeName,
    ...labelFlags(sandboxLabels(config, options.nodeName)),
    ...(config.hostname ? ['--hostname', config.hostname] : []),
    ...config.portMappings.flatMap((p) => ['--publish', publishFlag(p)]),
    ...dnsFlags(config),
  ];
  if (options.kind === 'pod') {
    return ['pod', 'create', '--infra-name', `${runtimeName}_pause`, ...common];
  }
  return [
    'run',
    '--detach',
    ...common,
    ...options.containerFlags,
    '--pull',
    'never',
    '--entrypoint',
    options.pauseCommand[0] ?? 'sleep',
    options.pauseImage,
    ...options.pauseCommand.slice(1),
  ];
}

export interface ContainerArgsOptions {
  readonly nodeName: string;
  readonly kind: SandboxKind;
  readonly containerFlags: readonly string[];
}

export interface SandboxIdentity {
  readonly id: string;
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
}

export function containerLabels(sandbox: SandboxIdentity, config: ContainerConfig, nodeName: string): Labels {
  return {
    ...config.labels,
    [LABEL.managedBy]: MANAGER,
    [LABEL.node]: nodeName,
    [LABEL.role]: 'container',
    [LABEL.podUid]: sandbox.uid,
    [LABEL.podName]: sandbox.name,
    [LABEL.podNamespace]: sandbox.namespace,
    [LABEL.sandboxId]: sandbox.id,
    [LABEL.containerName]: config.name,
    [LABEL.containerAttempt]: String(config.attempt ?? 0),
  };
}

/**
 * `create` for a container in a sandbox. Kubernetes semantics: `command` replaces the image's
 * entrypoint, `args` its cmd. Swap is set equal to memory so the limit is a hard one, as in
 * Kubernetes (no swap); `--pull never` because pulling is the kubelet's decision, not create's.
 */
export function containerCreateArgs(
  runtimeName: string,
  sandbox: SandboxIdentity,
  config: ContainerConfig,
  options: ContainerArgsOptions,
): string[] {
  const args: string[] = ['create', '--name', runtimeName, '--pull', 'never'];
  if (options.kind === 'pod') args.push('--pod', sandbox.id);
  else args.push('--network', `container:${sandbox.id}`, '--ipc', `container:${sandbox.id}`);
  args.push(...labelFlags(containerLabels(sandbox, config, options.nodeName)));
  for (const [key, value] of Object.entries(config.env ?? {})) args.push('--env', `${key}=${value}`);
  for (const mount of config.mounts ?? []) {
    args.push('--volume', `${mount.hostPath}:${mount.containerPath}${mount.readOnly ? ':ro' : ''}`);
  }
  if (config.memoryLimitBytes !== undefined) {
    const bytes = String(Math.floor(config.memoryLimitBytes));
    args.push('--memory', bytes, '--memory-swap', bytes);
  }
  if (config.cpuLimit !== undefined) args.push('--cpus', String(config.cpuLimit));
  if (config.workingDir) args.push('--workdir', config.workingDir);
  if (config.user) args.push('--user', config.user);
  args.push(...options.containerFlags);
  // `--entrypoint <first word>` with the rest after the image works on both CLIs (docker takes no
  // JSON form); setting an entrypoint also clears the image's cmd, as Kubernetes wants.
  const [entrypoint, ...commandRest] = config.command ?? [];
  if (entrypoint !== undefined) args.push('--entrypoint', entrypoint);
  args.push(config.image, ...commandRest, ...(config.args ?? []));
  return args;
}
