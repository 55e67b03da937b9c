/**
 * Pod sandboxes on podman (a pod with its infra container) or docker (a pause container the
 * others join): create and start, stop with a grace period, remove, list and inspect. Keeps who
 * each sandbox belongs to, so creating a container in it needs no inspect.
 */
import type { ContainerInspection } from './container-inspection.ts';
import { LABEL, labelFilterFlags, MANAGER, matchesLabels, sandboxRuntimeName } from './labels.ts';
import { podCreateSpec } from './libpod-specs.ts';
import { type SandboxIdentity, sandboxCreateArgs } from './podman-args.ts';
import {
  graceTimeout,
  ignoreNotFound,
  lastLine,
  notFound,
  type PodmanDriver,
  undefinedIfNotFound,
} from './podman-driver.ts';
import { parseJsonRecords, parsePauseContainerInspect, parsePodInspect } from './podman-json.ts';
import type { LabelFilter, PodSandboxConfig, PodSandboxStatus } from './runtime.ts';

/** docker only (it has no pods): what the pause container runs. */
export interface PauseContainer {
  readonly image: string;
  readonly command: readonly string[];
}

export class PodSandboxes {
  readonly #driver: PodmanDriver;
  readonly #containers: ContainerInspection;
  readonly #pause: PauseContainer;
  /**
   * Who each sandbox we created belongs to, so createContainer need not inspect it (two CLI calls).
   * Only a cache: after a restart it is empty and the labels are read back instead.
   */
  readonly #identities = new Map<string, SandboxIdentity>();

  constructor(driver: PodmanDriver, containers: ContainerInspection, pause: PauseContainer) {
    this.#driver = driver;
    this.#containers = containers;
    this.#pause = pause;
  }

  /** Who a sandbox belongs to: from the cache, else read back from its labels. */
  async identity(id: string): Promise<SandboxIdentity> {
    return this.#identities.get(id) ?? (await this.inspect(id));
  }

  async create(config: PodSandboxConfig): Promise<string> {
    const { cli, kind, nodeName } = this.#driver;
    const name = sandboxRuntimeName(config);
    const api = this.#driver.podApi();
    if (api) {
      const id = await api.createPod(podCreateSpec(name, config, nodeName));
      this.#identities.set(id, { id, uid: config.uid, name: config.name, namespace: config.namespace });
      try {
        await api.startPod(id);
      } catch (err) {
        await this.remove(id);
        throw err;
      }
      return id;
    }
    const args = sandboxCreateArgs(name, config, {
      nodeName,
      kind,
      pauseImage: this.#pause.image,
      pauseCommand: this.#pause.command,
      containerFlags: cli.containerFlags(),
    });
    const { stdout } = await cli.run(args);
    const id = lastLine(stdout);
    this.#identities.set(id, { id, uid: config.uid, name: config.name, namespace: config.namespace });
    // A podman pod is created stopped; start its infra container now so the IP and the published
    // ports exist before any container runs (the CRI's RunPodSandbox).
    if (kind === 'pod') {
      try {
        await cli.run(['pod', 'start', id]);
      } catch (err) {
        await this.remove(id);
        throw err;
      }
    }
    return id;
  }

  async stop(id: string, gracePeriodSeconds: number): Promise<void> {
    const { cli, kind } = this.#driver;
    const t = String(Math.max(0, Math.ceil(gracePeriodSeconds)));
    const timeoutMs = graceTimeout(this.#driver, gracePeriodSeconds);
    const api = this.#driver.podApi();
    if (api) {
      await ignoreNotFound(() => api.stopPod(id, Number(t), timeoutMs));
      return;
    }
    await ignoreNotFound(async () => {
      if (kind === 'pod') {
        await cli.run(['pod', 'stop', '--time', t, id], { timeoutMs });
        return;
      }
      const members = await this.#containers.ids({ [LABEL.sandboxId]: id });
      if (members.length > 0) await cli.run(['stop', '--time', t, ...members], { timeoutMs });
      await cli.run(['stop', '--time', t, id], { timeoutMs });
    });
  }

  async remove(id: string): Promise<void> {
    const { cli, kind } = this.#driver;
    this.#identities.delete(id);
    this.#containers.forgetSandbox(id);
    const api = this.#driver.podApi();
    if (api) {
      await ignoreNotFound(() => api.removePod(id));
      return;
    }
    await ignoreNotFound(async () => {
      if (kind === 'pod') {
        await cli.run(['pod', 'rm', '--force', '--time', '0', id]);
        return;
      }
      const members = await this.#containers.ids({ [LABEL.sandboxId]: id });
      if (members.length > 0) await cli.run(['rm', '--force', '--time', '0', ...members]);
      await cli.run(['rm', '--force', '--time', '0', id]);
    });
  }

  async list(filter?: LabelFilter): Promise<PodSandboxStatus[]> {
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER, [LABEL.role]: 'sandbox' };
    let ids: string[];
    const api = this.#driver.podApi();
    if (api) {
      ids = (await api.listPods(ownFilter)).map((pod) => String(pod.Id ?? '')).filter((id) => id !== '');
    } else if (this.#driver.kind === 'pod') {
      const { stdout } = await this.#driver.cli.run([
        'pod',
        'ps',
        '--no-trunc',
        '--format',
        'json',
        ...labelFilterFlags(ownFilter),
      ]);
      ids = parseJsonRecords(stdout)
        .map((pod) => String(pod.Id ?? ''))
        .filter((id) => id !== '');
    } else {
      ids = await this.#containers.ids(ownFilter);
    }
    const statuses: PodSandboxStatus[] = [];
    for (const id of ids) {
      // A sandbox removed between the list and its inspect is simply not there any more.
      const status = await this.inspect(id).catch(undefinedIfNotFound);
      if (status && matchesLabels(status.labels, ownFilter)) statuses.push(status);
    }
    return statuses;
  }

  async inspect(id: string): Promise<PodSandboxStatus> {
    const { cli } = this.#driver;
    if (this.#driver.kind === 'pause-container') {
      const [obj] = parseJsonRecords((await cli.run(['inspect', '--type', 'container', id])).stdout);
      if (!obj) throw notFound(`sandbox ${id}`);
      return parsePauseContainerInspect(obj);
    }
    const api = this.#driver.liveApi();
    const [pod] = api
      ? [await api.inspectPod(id)]
      : parseJsonRecords((await cli.run(['pod', 'inspect', id])).stdout);
    if (!pod) throw notFound(`pod sandbox ${id}`);
    const infraId = typeof pod.InfraContainerID === 'string' ? pod.InfraContainerID : undefined;
    const [infra] = infraId ? await this.#containers.inspectRaw([infraId]) : [];
    return parsePodInspect(pod, infra);
  }
}
