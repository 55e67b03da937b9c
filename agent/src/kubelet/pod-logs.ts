/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log` as the node serves it: finds the pod's container
 * (the only one when the pod has one, else the one named) and streams its newest run's output, or
 * the run before it with `previous`. Errors are thrown as StatusErrors with Kubernetes' wording
 * before the first line, so the API server can answer with the right code.
 */
import { badRequest, StatusError } from '../api/errors.ts';
import { LABEL } from '../runtime/labels.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { NodeClient } from './node-client.ts';

export interface PodLogRequest {
  readonly namespace: string;
  readonly name: string;
  readonly container?: string;
  readonly follow?: boolean;
  readonly tailLines?: number;
  readonly timestamps?: boolean;
  readonly previous?: boolean;
  readonly sinceTime?: Date;
  readonly signal?: AbortSignal;
}

export async function* podLogs(
  runtime: ContainerRuntime,
  client: NodeClient,
  nodeName: string,
  request: PodLogRequest,
): AsyncGenerator<string> {
  const pod = await client.getPod(request.namespace, request.name);
  if (pod instanceof StatusError) throw pod;
  if (pod.spec.nodeName !== nodeName)
    throw badRequest(`pod ${request.name} runs on node ${pod.spec.nodeName ?? '(none)'}, not on ${nodeName}`);
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  let container = request.container;
  if (container === undefined) {
    if (pod.spec.containers.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${request.name}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`,
      );
    container = pod.spec.containers[0]?.name;
  }
  if (container === undefined || !names.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${request.name}`);
  const runs = (
    await runtime.listContainers({ [LABEL.podUid]: pod.metadata.uid ?? '', [LABEL.containerName]: container })
  ).sort((a, b) => b.attempt - a.attempt);
  const run = request.previous ? runs[1] : runs[0];
  if (!run) {
    if (request.previous)
      throw badRequest(`previous terminated container "${container}" in pod "${request.name}" not found`);
    throw badRequest(`container "${container}" in pod "${request.name}" is waiting to start`);
  }
  yield* runtime.containerLogs(run.id, {
    ...(request.follow !== undefined ? { follow: request.follow && !request.previous } : {}),
    ...(request.tailLines !== undefined ? { tailLines: request.tailLines } : {}),
    ...(request.timestamps !== undefined ? { timestamps: request.timestamps } : {}),
    ...(request.sinceTime ? { since: request.sinceTime } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  });
}
