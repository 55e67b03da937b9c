/**
 * imagePullPolicy against the node's images. Never: the image must be here (ErrImageNeverPull).
 * IfNotPresent: pull only when missing (ErrImagePull when that fails). Always: pull, but a
 * `localhost/...` name is podman's name for a locally built image that no registry holds, so it is
 * treated as IfNotPresent; and when a registry is unreachable (an edge box offline) a local copy
 * is used rather than failing the pod.
 */
import { defaultPullPolicy } from '../api/defaults.ts';
import type { Container } from '../api/types/pod.ts';
import type { ContainerRuntime } from '../runtime/runtime.ts';
import type { ContainerProblem } from './pod-status.ts';

export class ImagePolicy {
  readonly #runtime: ContainerRuntime;
  /** Images seen present; a start that fails for a missing image clears its entry. */
  readonly #present = new Set<string>();

  constructor(runtime: ContainerRuntime) {
    this.#runtime = runtime;
  }

  forget(image: string): void {
    this.#present.delete(image);
  }

  /** Makes the image available by the container's policy; a problem says why it is not. */
  async ensure(c: Container): Promise<ContainerProblem | undefined> {
    const image = c.image ?? '';
    if (image === '') return { reason: 'InvalidImageName', message: `container ${c.name} names no image` };
    let policy = c.imagePullPolicy ?? defaultPullPolicy(image);
    if (policy === 'Always' && image.startsWith('localhost/')) policy = 'IfNotPresent';
    if (policy !== 'Always' && this.#present.has(image)) return undefined;
    const present = await this.#runtime.imageExists(image);
    if (present) this.#present.add(image);
    if (policy === 'Never') {
      if (present) return undefined;
      return {
        reason: 'ErrImageNeverPull',
        message: `Container image "${image}" is not present with pull policy of Never: load it on this node (podman load / kedge image build-base) or change imagePullPolicy`,
      };
    }
    if (policy === 'IfNotPresent' && present) return undefined;
    try {
      await this.#runtime.pullImage(image);
      this.#present.add(image);
      return undefined;
    } catch (err) {
      if (present) return undefined;
      return { reason: 'ErrImagePull', message: (err as Error).message };
    }
  }
}
