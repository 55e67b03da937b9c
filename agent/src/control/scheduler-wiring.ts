/**
 * What the scheduler needs from the leader, over the controllers' ClusterClient:
 *
 *   ClusterSource: one informer per kind it reads (Node, Pod, PVC, PV, Namespace): list first
 *                  (delivered as ADDED), then watch; measured node usage joins as NodeUtilisation
 *   bind:          the Binding subresource (BackendClusterClient.bind): spec.nodeName on an unbound pod
 *   recordEvent:   Scheduled / FailedScheduling / Preempted as core/v1 Events, de-duplicated with
 *                  counts (the controllers' EventRecorder, source component `default-scheduler`)
 *   evict:         a preemption victim deleted with its own grace period (uid precondition)
 *   nominate:      status.nominatedNodeName on the preemptor (read, set, write; retried on Conflict)
 */
import { isStatusError } from '../api/errors.ts';
import type { KubeObject } from '../api/types/meta.ts';
import type { Pod } from '../api/types/pod.ts';
import { objectReference } from '../controllers/runtime/actions.ts';
import {
  type ClusterClient,
  NAMESPACES,
  NODES,
  PODS,
  PVCS,
  type ResourceRef,
} from '../controllers/runtime/client.ts';
import type { Clock } from '../controllers/runtime/clock.ts';
import { EventRecorder } from '../controllers/runtime/event-recorder.ts';
import { Informer } from '../controllers/runtime/informer.ts';
import type { ClusterEvent, ClusterSource } from '../scheduler/cluster-events.ts';
import type { NodeUtilisation } from '../scheduler/node-info.ts';
import type { SchedulerEffects, SchedulerEvent } from '../scheduler/scheduler.ts';
import type { BackendClusterClient } from './backend-cluster-client.ts';

const PVS: ResourceRef = { group: '', resource: 'persistentvolumes' };

/** Measured usage per node (the metrics scrape); undefined clears a stale figure. */
export interface UtilisationFeed {
  subscribe(
    listener: (nodeName: string, usage: NodeUtilisation | undefined) => void,
    signal: AbortSignal,
  ): void;
}

const KINDS: readonly { ref: ResourceRef; kind: Exclude<ClusterEvent['kind'], 'NodeUtilisation'> }[] = [
  { ref: NODES, kind: 'Node' },
  { ref: PODS, kind: 'Pod' },
  { ref: PVCS, kind: 'PersistentVolumeClaim' },
  { ref: PVS, kind: 'PersistentVolume' },
  { ref: NAMESPACES, kind: 'Namespace' },
];

export function informerClusterSource(
  client: ClusterClient,
  clock: Clock,
  options: { utilisation?: UtilisationFeed; onError?: (error: Error, what: string) => void } = {},
): ClusterSource {
  return {
    subscribe(sink, signal) {
      for (const { ref, kind } of KINDS) {
        const informer = new Informer(client, ref, {
          clock,
          onError: (e, what) => options.onError?.(e, what),
        });
        informer.onChange((type, object: KubeObject) =>
          sink({ kind, type, object } as unknown as ClusterEvent),
        );
        void informer.run(signal).catch((e: unknown) => options.onError?.(e as Error, `informer ${kind}`));
      }
      options.utilisation?.subscribe(
        (nodeName, utilisation) => sink({ kind: 'NodeUtilisation', nodeName, utilisation }),
        signal,
      );
    },
  };
}

export function schedulerEffects(
  client: BackendClusterClient,
  clock: Clock,
  options: { host?: string; onError?: (error: Error, what: string) => void } = {},
): SchedulerEffects {
  const recorder = new EventRecorder(client, {
    clock,
    component: 'default-scheduler',
    ...(options.host !== undefined ? { host: options.host } : {}),
  });
  return {
    async bind(pod: Pod, nodeName: string) {
      const m = pod.metadata;
      const out = await client.bind(m.namespace ?? 'default', m.name ?? '', m.uid ?? '', nodeName);
      return isStatusError(out) ? { kind: out.reason, message: out.message } : undefined;
    },
    async evict(victim: Pod) {
      const m = victim.metadata;
      const out = await client.delete(PODS, m.namespace ?? 'default', m.name ?? '', {
        preconditions: { uid: m.uid ?? '' },
      });
      return isStatusError(out) ? { kind: out.reason, message: out.message } : undefined;
    },
    nominate(pod: Pod, nodeName: string | undefined, signal: AbortSignal) {
      void setNominatedNode(client, pod, nodeName, signal).then((error) => {
        if (error !== undefined) options.onError?.(error, 'nominatedNodeName');
      });
    },
    recordEvent(event: SchedulerEvent) {
      void recorder
        .record({
          involvedObject: objectReference(event.pod, 'v1', 'Pod'),
          type: event.type,
          reason: event.reason,
          message: event.message,
        })
        .then((error) => {
          if (error !== undefined) options.onError?.(error, `event ${event.reason}`);
        });
    },
  };
}

const NOMINATE_ATTEMPTS = 5;

/** Writes status.nominatedNodeName on the pod (same uid); a pod gone or bound meanwhile is left alone. */
async function setNominatedNode(
  client: ClusterClient,
  pod: Pod,
  nodeName: string | undefined,
  signal: AbortSignal,
): Promise<Error | undefined> {
  const m = pod.metadata;
  for (let attempt = 0; attempt < NOMINATE_ATTEMPTS && !signal.aborted; attempt++) {
    const current = await client.get(PODS, m.namespace ?? 'default', m.name ?? '');
    if (isStatusError(current)) return current.reason === 'NotFound' ? undefined : current;
    const p = current as Pod;
    if (p.metadata.uid !== m.uid || (p.spec.nodeName ?? '') !== '') return undefined;
    if ((p.status?.nominatedNodeName ?? undefined) === nodeName) return undefined;
    const status = { ...p.status };
    if (nodeName === undefined) delete status.nominatedNodeName;
    else status.nominatedNodeName = nodeName;
    const out = await client.updateStatus(PODS, { ...p, status } as KubeObject);
    if (!isStatusError(out)) return undefined;
    if (out.reason !== 'Conflict') return out;
  }
  return undefined;
}
