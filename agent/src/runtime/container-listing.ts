import { isRecord } from './podman-json.ts';

type Json = Record<string, unknown>;

/**
 * A listing of containers that inspects only what changed. podman's list (`ps -a --format json`,
 * `GET /containers/json`) is one call for every container but lacks what the kubelet needs about
 * a finished run (exact finish time, OOMKilled, the runtime's error); `inspect` has it but costs a
 * call per container (the API) or grows with their number (the CLI). The list says cheaply
 * whether a container changed, so an unchanged one is answered from its last inspect: an idle
 * node with 20 pods lists once and inspects nothing.
 */

/** What in a list record moves whenever the container's state does (a restart moves StartedAt). */
export function listingKey(summary: Json): string {
  return [summary.State, summary.StartedAt, summary.ExitedAt, summary.ExitCode, summary.Exited]
    .map((v) => String(v ?? ''))
    .join('|');
}

export function listingId(summary: Json): string | undefined {
  const id = summary.Id ?? summary.ID;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

interface Entry {
  readonly key: string;
  readonly inspect: Json;
}

/** Past this many remembered containers the memory is dropped (and rebuilt by the next listings). */
const MAX_ENTRIES = 4096;

export class InspectCache {
  readonly #entries = new Map<string, Entry>();

  /**
   * The inspect records for a listing, in its order: cached where the list record says nothing
   * changed, fetched (in one go) for the rest. Containers gone before their inspect are left out.
   */
  async resolve(summaries: readonly Json[], inspect: (ids: string[]) => Promise<Json[]>): Promise<Json[]> {
    const wanted: { id: string; key: string }[] = [];
    for (const s of summaries) {
      const id = listingId(s);
      if (id !== undefined) wanted.push({ id, key: listingKey(s) });
    }
    const stale = wanted.filter((w) => this.#entries.get(w.id)?.key !== w.key);
    if (stale.length > 0) {
      if (this.#entries.size + stale.length > MAX_ENTRIES) this.#entries.clear();
      const keys = new Map(stale.map((w) => [w.id, w.key]));
      for (const obj of await inspect(stale.map((w) => w.id))) {
        const id = typeof obj.Id === 'string' ? obj.Id : undefined;
        const key = id === undefined ? undefined : keys.get(id);
        // Inspected after the listing: if it moved on meanwhile, the next listing inspects it again.
        if (id !== undefined && key !== undefined) this.#entries.set(id, { key, inspect: obj });
      }
    }
    const out: Json[] = [];
    for (const w of wanted) {
      const entry = this.#entries.get(w.id);
      if (entry && isRecord(entry.inspect)) out.push(entry.inspect);
    }
    return out;
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }

  /** Forgets every container of a sandbox (they go with it). */
  forgetSandbox(sandboxId: string, labelKey: string): void {
    for (const [id, entry] of this.#entries) {
      const labels = (entry.inspect.Config as Json | undefined)?.Labels as Json | undefined;
      if (labels?.[labelKey] === sandboxId || entry.inspect.Pod === sandboxId) this.#entries.delete(id);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
