/**
 * The Services this agent last saw, on disk, so that a restarted agent opens its NodePorts at once
 * (from these and the persisted gossip endpoint table) instead of waiting for the API to answer a
 * list: the control plane may still be electing, or this voter still catching up in Raft.
 *
 *   Services informer ──change──> save (coalesced, atomic: temp file + rename)
 *   start ──load──> the proxy's Services until the informer has listed
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Service } from '../api/types/core.ts';
import { writeJsonFile } from '../cluster/data-dir.ts';

const FILE_NAME = 'services.json';

export class ServiceCacheFile {
  readonly path: string;
  readonly #log: (message: string) => void;
  #saving: Promise<void> = Promise.resolve();
  #queued: readonly Service[] | undefined;

  constructor(dir: string, log: (message: string) => void) {
    this.path = path.join(dir, FILE_NAME);
    this.#log = log;
  }

  /** The Services last saved; none when there is no file or it cannot be read (said in the log). */
  async load(): Promise<Service[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log(`cannot read the Services cache ${this.path}: ${(error as Error).message}`);
      return [];
    }
    try {
      const parsed = JSON.parse(text) as { services?: unknown };
      if (!Array.isArray(parsed.services)) throw new Error('no "services" list');
      return parsed.services as Service[];
    } catch (error) {
      this.#log(
        `ignoring the Services cache ${this.path} (${(error as Error).message}); delete it, the agent relists from the API`,
      );
      return [];
    }
  }

  /** Saves `services`; writes are serialized and coalesced so the newest list always lands last. */
  save(services: readonly Service[]): Promise<void> {
    const first = this.#queued === undefined;
    this.#queued = services;
    if (first)
      this.#saving = this.#saving.then(async () => {
        const latest = this.#queued ?? [];
        this.#queued = undefined;
        await writeJsonFile(this.path, { version: 1, services: latest }).catch((error: Error) =>
          this.#log(`cannot save the Services cache ${this.path}: ${error.message}`),
        );
      });
    return this.#saving;
  }
}
