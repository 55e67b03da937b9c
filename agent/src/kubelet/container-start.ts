/**
 * Everything a container run needs before the runtime creates it: its image present by the pull
 * policy, its environment resolved, its mounts named, then the runtime config. The first thing that
 * is missing comes back as a ContainerProblem (the reason shown in the container's waiting state).
 */
import type { Container, Pod } from '../api/types/pod.ts';
import type { ContainerConfig } from '../runtime/runtime.ts';
import { containerEnv, expandVariables } from './container-env.ts';
import type { ImagePolicy } from './image-policy.ts';
import type { NodeClient } from './node-client.ts';
import type { RuntimeContainer } from './observed-pod.ts';
import type { ContainerProblem } from './pod-status.ts';
import { containerMounts, type PodVolumes } from './pod-volumes.ts';
import { containerConfig } from './runtime-config.ts';

export interface StartInputs {
  readonly images: ImagePolicy;
  readonly client: NodeClient;
  readonly podIP: string | undefined;
  readonly hostIP: string;
  readonly clusterEnv: Readonly<Record<string, string>>;
  readonly volumes: PodVolumes | undefined;
}

export async function prepareContainer(
  pod: Pod,
  c: Container,
  attempt: number,
  inputs: StartInputs,
): Promise<ContainerProblem | { config: ContainerConfig }> {
  const image = await inputs.images.ensure(c);
  if (image) return image;
  const env = await containerEnv(
    pod,
    c,
    { podIP: inputs.podIP, hostIP: inputs.hostIP, clusterEnv: inputs.clusterEnv },
    {
      configMap: (ns, name) => inputs.client.getConfigMap(ns, name),
      secret: (ns, name) => inputs.client.getSecret(ns, name),
    },
  );
  if ('problem' in env) return env.problem;
  const vars = env.env;
  const mounts = containerMounts(pod, c.name, inputs.volumes ?? { paths: new Map(), versions: new Map() });
  if ('reason' in mounts) return mounts;
  return { config: containerConfig(c, attempt, vars, mounts, (s) => expandVariables(s, vars)) };
}

/** A run we just created, as the runtime would report it before its start. */
export function createdRun(id: string, name: string, attempt: number, sandboxId: string): RuntimeContainer {
  return {
    id,
    name,
    runtimeName: id,
    sandboxId,
    state: 'created',
    exitCode: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    oomKilled: false,
    reason: undefined,
    message: undefined,
    labels: {},
    image: '',
    imageId: '',
    attempt,
  };
}
