/**
 * Writing a pod's status back to the API only when it changed, and riding out the answers that
 * only mean "the watch will bring news" (Conflict: the pod changed meanwhile; NotFound: it is gone).
 */
import { StatusError } from '../api/errors.ts';
import type { Pod, PodStatus } from '../api/types/pod.ts';
import type { WorkerContext } from './worker-context.ts';

const statusKey = (s: PodStatus | undefined): string => JSON.stringify(s ?? {});

export class PodStatusWriter {
  readonly #ctx: WorkerContext;
  /** The last status the API holds from us (or had when the worker started). */
  #lastStatus: string;

  constructor(ctx: WorkerContext, current: PodStatus | undefined) {
    this.#ctx = ctx;
    this.#lastStatus = statusKey(current);
  }

  /** The pod as the API stored it, or undefined when nothing was written (unchanged, or refused). */
  async write(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    const key = statusKey(status);
    if (key === this.#lastStatus) return undefined;
    const written = await this.#ctx.client.updatePodStatus({ ...pod, status });
    if (written instanceof StatusError) {
      // Conflict: the pod changed meanwhile (deletion, labels); the watch brings the new object
      // and the next sync writes again. NotFound: it is gone, and its DELETED event is on its way.
      if (written.reason !== 'NotFound' && written.reason !== 'Conflict')
        this.#ctx.log(
          `pod ${pod.metadata.namespace}/${pod.metadata.name}: status write failed: ${written.message}`,
        );
      return undefined;
    }
    this.#lastStatus = key;
    return written;
  }
}
