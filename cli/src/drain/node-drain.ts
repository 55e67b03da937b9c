/**
 * Cordon, uncordon and drain against the API:
 *
 *   cordon:   GET node -> PATCH {spec: {unschedulable: true}} (the scheduler then skips it)
 *   drain:    cordon -> list pods with fieldSelector spec.nodeName=NODE (all namespaces)
 *             -> planDrain (drain-plan.ts) -> DELETE each with its grace period ("deleting pod ns/name")
 *             -> wait until each is gone (or replaced by another uid) -> "node/NODE drained"
 *
 * kedge's API has no eviction subresource (no PodDisruptionBudgets), so drain deletes with grace
 * as `kubectl drain --disable-eviction` does: the kubelet stops the containers within the grace
 * period and then removes the pod object; the pods' controllers create replacements elsewhere.
 */
import type { KubeObject, Pod, ResourceInfo } from '../api.ts';
import { isNotFound } from '../client/api-error.ts';
import type { KubeClient } from '../client/kube-client.ts';
import { resolveType } from '../client/resources.ts';
import { CliError } from '../errors.ts';
import { type DrainFlags, graceSeconds, planDrain } from './drain-plan.ts';

export interface DrainOptions extends DrainFlags {
  readonly node: string;
  /** Seconds; -1 uses each pod's terminationGracePeriodSeconds. */
  readonly gracePeriod: number;
  /** 0 waits for ever, as kubectl's default. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Progress lines for stdout. */
  say(line: string): void;
  warn(line: string): void;
}

const nodes = (): ResourceInfo => resolveType('nodes');
const pods = (): ResourceInfo => resolveType('pods');

/** Marks the node (un)schedulable; returns false when it already was. */
export async function setUnschedulable(
  client: KubeClient,
  node: string,
  unschedulable: boolean,
): Promise<boolean> {
  const current = await client.get<KubeObject & { spec?: { unschedulable?: boolean } }>(
    nodes(),
    undefined,
    node,
  );
  if ((current.spec?.unschedulable === true) === unschedulable) return false;
  await client.patch(nodes(), undefined, node, 'merge', {
    spec: { unschedulable: unschedulable ? true : null },
  });
  return true;
}

export async function drainNode(client: KubeClient, o: DrainOptions): Promise<void> {
  const changed = await setUnschedulable(client, o.node, true);
  o.say(`node/${o.node} ${changed ? 'cordoned' : 'already cordoned'}`);
  const list = await client.list<Pod>(pods(), undefined, { fieldSelector: `spec.nodeName=${o.node}` });
  const plan = planDrain(list.items, o);
  if (plan.errors.length > 0)
    throw new CliError(
      'Failed',
      plan.errors.join('; '),
      `error: unable to drain node "${o.node}" due to error: ${plan.errors.join(', ')}\nThere are pending nodes to be drained:\n ${o.node}`,
    );
  for (const warning of plan.warnings) o.warn(`Warning: ${warning}`);
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Number.POSITIVE_INFINITY;
  const waiting = new Map<string, Pod>();
  for (const pod of plan.delete) {
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name ?? '';
    o.say(`deleting pod ${ns}/${name}`);
    try {
      await client.delete(pods(), ns, name, { gracePeriodSeconds: graceSeconds(pod, o.gracePeriod) });
    } catch (error) {
      // Gone already (its controller or the kubelet was quicker): nothing to wait for.
      if (!isNotFound(error)) throw error;
    }
    waiting.set(`${ns}/${name}`, pod);
  }
  while (waiting.size > 0) {
    for (const [key, pod] of [...waiting]) {
      if (await isGone(client, pod)) {
        waiting.delete(key);
        o.say(`pod/${pod.metadata.name} deleted`);
      }
    }
    if (waiting.size === 0) break;
    if (o.signal.aborted)
      throw new CliError(
        'Failed',
        'drain interrupted',
        `error: drain interrupted; node/${o.node} stays cordoned`,
      );
    if (Date.now() > deadline)
      throw new CliError(
        'Failed',
        'drain timed out',
        `error: unable to drain node "${o.node}": timed out waiting for the pods to go: ${[...waiting.keys()].join(', ')}\n` +
          'The node stays cordoned; run the drain again, or pass a longer --timeout.',
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  o.say(`node/${o.node} drained`);
}

/** Gone: not found, or the name now belongs to another pod (a StatefulSet's replacement). */
async function isGone(client: KubeClient, pod: Pod): Promise<boolean> {
  try {
    const now = await client.get<Pod>(pods(), pod.metadata.namespace ?? 'default', pod.metadata.name ?? '');
    return now.metadata.uid !== pod.metadata.uid;
  } catch (error) {
    if (isNotFound(error)) return true;
    throw error;
  }
}
