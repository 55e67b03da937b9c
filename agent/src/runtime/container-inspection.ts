/**
 * Reading containers back from podman: inspect records (API or CLI), the one-call listing that
 * inspects only what moved, and the mapping of an inspect record to a ContainerStatus, with the
 * kernel log's word on OOM kills that podman missed.
 */
import { InspectCache } from './container-listing.ts';
import { LABEL, labelFilterFlags, MANAGER, matchesLabels } from './labels.ts';
import type { KernelOomLog } from './oom-kernel-log.ts';
import { RuntimeError } from './podman-cli.ts';
import { notFound, type PodmanDriver } from './podman-driver.ts';
import { parseContainerInspect, parseJsonRecords } from './podman-json.ts';
import type { ContainerStatus, LabelFilter } from './runtime.ts';

export class ContainerInspection {
  readonly #driver: PodmanDriver;
  readonly #oomLog: KernelOomLog | undefined;
  /** Inspect records of listed containers, so a listing inspects only what changed. */
  readonly #listing = new InspectCache();

  constructor(driver: PodmanDriver, oomLog: KernelOomLog | undefined) {
    this.#driver = driver;
    this.#oomLog = oomLog;
  }

  async inspect(id: string): Promise<ContainerStatus> {
    const [status] = (await this.inspectRaw([id])).map((obj) => this.#status(obj));
    if (!status) throw notFound(`container ${id}`);
    return status;
  }

  async list(filter?: LabelFilter): Promise<ContainerStatus[]> {
    const ownFilter = { ...filter, [LABEL.managedBy]: MANAGER, [LABEL.role]: 'container' };
    // One listing call; only containers whose state moved since the last listing are inspected.
    const api = this.#driver.liveApi();
    const summaries = api
      ? await api.listContainers(ownFilter)
      : parseJsonRecords(
          (
            await this.#driver.cli.run([
              'ps',
              '--all',
              '--no-trunc',
              '--format',
              'json',
              ...labelFilterFlags(ownFilter),
            ])
          ).stdout,
        );
    if (summaries.length === 0) return [];
    const inspected = await this.#listing.resolve(summaries, (ids) => this.#inspectTolerant(ids));
    return inspected.map((obj) => this.#status(obj)).filter((s) => matchesLabels(s.labels, ownFilter));
  }

  /** Ids of every container (any state) carrying these labels, through the CLI. */
  async ids(filter: LabelFilter): Promise<string[]> {
    const { stdout } = await this.#driver.cli.run([
      'ps',
      '--all',
      '--quiet',
      '--no-trunc',
      ...labelFilterFlags(filter),
    ]);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }

  /** A removed container drops out of the next listing's cache. */
  forget(id: string): void {
    this.#listing.forget(id);
  }

  /** A removed sandbox's containers drop out of the next listing's cache. */
  forgetSandbox(sandboxId: string): void {
    this.#listing.forgetSandbox(sandboxId, LABEL.sandboxId);
  }

  /** Inspect records: one API call per container (in parallel), or one CLI call for all. */
  async inspectRaw(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const api = this.#driver.liveApi();
    if (api) return Promise.all(ids.map((id) => api.inspectContainer(id)));
    const { stdout } = await this.#driver.cli.run(['inspect', '--type', 'container', ...ids]);
    return parseJsonRecords(stdout);
  }

  /** Like inspectRaw, leaving out containers removed since they were listed. */
  async #inspectTolerant(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    return this.inspectRaw(ids).catch(async (err: unknown) => {
      if (!(err instanceof RuntimeError && err.kind === 'NotFound')) throw err;
      const each = await Promise.all(
        ids.map((id) =>
          this.inspectRaw([id]).catch((one: unknown) => {
            if (one instanceof RuntimeError && one.kind === 'NotFound') return [];
            throw one;
          }),
        ),
      );
      return each.flat();
    });
  }

  /** A container's status from its inspect; an exit the runtime did not call OOM is checked in the kernel log. */
  #status(obj: Record<string, unknown>): ContainerStatus {
    const status = parseContainerInspect(obj);
    if (status.state !== 'exited' || status.oomKilled || !this.#oomLog) return status;
    return this.#oomLog.wasOomKilled(status.id) ? parseContainerInspect(obj, true) : status;
  }
}
