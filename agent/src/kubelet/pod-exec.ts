/**
 * Which runtime container a `kubectl exec` into a pod of this node runs in: the container named
 * (or the pod's only one), in its newest run, and only while that run is running. Errors are
 * StatusErrors in Kubernetes' wording, so the node can refuse the upgrade with the right code.
 */
import { badRequest, StatusError } from '../api/errors.ts';
import { LABEL } from '../runtime/labels.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { NodeClient } from './node-client.ts';

export interface ExecTargetRequest {
  readonly namespace: string;
  readonly name: string;
  readonly container: string | undefined;
}

export interface ExecTarget {
  /** The runtime's container id. */
  readonly id: string;
  readonly container: string;
}

export async function execTarget(
  runtime: ContainerRuntime,
  client: NodeClient,
  nodeName: string,
  request: ExecTargetRequest,
): Promise<ExecTarget> {
  const pod = await client.getPod(request.namespace, request.name);
  if (pod instanceof StatusError) throw pod;
  if (pod.metadata.deletionTimestamp !== undefined)
    throw badRequest(`pod ${request.name} is being deleted; exec into a pod that runs`);
  if (pod.spec.nodeName !== nodeName)
    throw badRequest(`pod ${request.name} runs on node ${pod.spec.nodeName ?? '(none)'}, not on ${nodeName}`);
  const names = pod.spec.containers.map((c) => c.name);
  let container = request.container;
  if (container === undefined) {
    // kubectl picks the default container itself; a bare API call gets the only one.
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${request.name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0]!;
  }
  if (!names.includes(container)) {
    const init = (pod.spec.initContainers ?? []).some((c) => c.name === container);
    if (!init) throw badRequest(`container ${container} is not valid for pod ${request.name}`);
  }
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.status.phase}`);
  const runs = (
    await runtime.listContainers({ [LABEL.podUid]: pod.metadata.uid ?? '', [LABEL.containerName]: container })
  ).sort((a, b) => b.attempt - a.attempt);
  const run = runs[0];
  if (run === undefined || run.state !== 'running')
    throw badRequest(
      `container ${container} is not running in pod ${request.name}` +
        (run === undefined ? ' (it has not started yet)' : ` (its last run is ${run.state})`) +
        '; exec once `kubectl get pod` shows it running',
    );
  return { id: run.id, container };
}
