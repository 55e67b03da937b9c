import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { OriginState } from '@kedge/proxy';
import { GossipError } from './gossip-error.ts';
import { parseOriginState } from './gossip-messages.ts';

const FILE_NAME = 'endpoint-table.json';

/**
 * The endpoint table on disk, so that a restarted agent serves traffic from what it last knew
 * before it hears from anyone. Written atomically: temp file, fsync, rename, fsync of the folder;
 * a crash leaves either the old table or the new one, never half of one.
 */
export class EndpointTableFile {
  readonly path: string;
  readonly #dataDir: string;

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
    this.path = join(dataDir, FILE_NAME);
  }

  async save(states: readonly OriginState[]): Promise<void> {
    await mkdir(this.#dataDir, { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(JSON.stringify({ version: 1, origins: states }));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const dir = await open(this.#dataDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** The persisted origins; none when there is no file yet; an Invalid error when it is corrupt. */
  async load(): Promise<OriginState[] | GossipError> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return new GossipError('Unavailable', `cannot read ${this.path}: ${String(err)}`, { cause: err });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return new GossipError(
        'Invalid',
        `${this.path} is not JSON (${String(err)}); delete it and the agent relearns the table by gossip`,
      );
    }
    const origins = (raw as { origins?: unknown } | null)?.origins;
    if (!Array.isArray(origins)) {
      return new GossipError('Invalid', `${this.path} has no origins list; delete it to relearn by gossip`);
    }
    const out: OriginState[] = [];
    for (const o of origins) {
      const state = parseOriginState(o);
      if (state instanceof GossipError) {
        return new GossipError('Invalid', `${this.path}: ${state.message}; delete it to relearn by gossip`);
      }
      out.push(state);
    }
    return out;
  }
}
