/**
 * What the kubelet hands every PodWorker: the runtime, the control plane (NodeClient), the node's
 * address and policies, and where events and log lines go. One object, so tests can build a
 * worker with fakes.
 */
import type { Pod } from '../api/types/pod.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { ImagePolicy } from './image-policy.ts';
import type { NodeClient } from './node-client.ts';
import type { VolumeContext } from './pod-volumes.ts';
import type { BackOffPolicy } from './restart-backoff.ts';

export interface WorkerContext {
  readonly runtime: ContainerRuntime;
  readonly client: NodeClient;
  readonly hostIP: string;
  readonly backOff: BackOffPolicy;
  readonly volumes: VolumeContext;
  readonly images: ImagePolicy;
  readonly clusterEnv: Readonly<Record<string, string>>;
  readonly resyncMs: number;
  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log(message: string): void;
}
