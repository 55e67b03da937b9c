import { apiError, type LibpodClient } from './libpod-client.ts';
import { RuntimeError } from './podman-cli.ts';
import { isRecord, parseJsonRecords } from './podman-json.ts';
import type { LabelFilter } from './runtime.ts';

type Json = Record<string, unknown>;

/**
 * The podman operations the runtime driver needs, over the libpod REST API: the same objects the
 * CLI makes (pods with an infra container, containers in them), answered as the same JSON the CLI
 * prints (`inspect`, `ps --format json`), so one set of parsers reads both.
 */
export class PodmanApi {
  readonly client: LibpodClient;

  constructor(client: LibpodClient) {
    this.client = client;
  }

  async createPod(spec: unknown): Promise<string> {
    return idOf(await this.client.ok('/pods/create', { method: 'POST', body: spec }), 'pods/create');
  }

  async startPod(id: string): Promise<void> {
    await this.client.ok(`/pods/${enc(id)}/start`, { method: 'POST' });
  }

  async stopPod(id: string, seconds: number, timeoutMs: number): Promise<void> {
    // podman 4.3 reads `t=0` on pods/stop as "no timeout given" and waits each container's own
    // stop timeout (10 s): no grace is a kill.
    if (seconds <= 0) return this.killPod(id);
    await this.client.ok(`/pods/${enc(id)}/stop`, { method: 'POST', query: { t: seconds }, timeoutMs });
  }

  /** SIGKILL to every container of the pod; a pod with nothing running answers 409 (done already). */
  async killPod(id: string): Promise<void> {
    try {
      await this.client.ok(`/pods/${enc(id)}/kill`, { method: 'POST', query: { signal: 'SIGKILL' } });
    } catch (err) {
      if (err instanceof RuntimeError && err.exitCode === 409) return;
      throw err;
    }
  }

  /** Removes the pod and its containers, killing what runs (the CLI's `pod rm --force --time 0`). */
  async removePod(id: string): Promise<void> {
    // `force` alone would stop each container with its own grace first (10 s for a process that
    // ignores SIGTERM), and so would pods/stop with t=0 on podman 4.3: kill, then remove.
    await this.killPod(id);
    await this.client.ok(`/pods/${enc(id)}`, { method: 'DELETE', query: { force: true } });
  }

  async inspectPod(id: string): Promise<Json> {
    return record(await this.client.ok(`/pods/${enc(id)}/json`), `pods/${id}/json`);
  }

  async listPods(filter: LabelFilter): Promise<Json[]> {
    return records(await this.client.ok('/pods/json', { query: { filters: labelFilters(filter) } }));
  }

  async createContainer(spec: unknown): Promise<string> {
    return idOf(
      await this.client.ok('/containers/create', { method: 'POST', body: spec }),
      'containers/create',
    );
  }

  async startContainer(id: string): Promise<void> {
    await this.client.ok(`/containers/${enc(id)}/start`, { method: 'POST' });
  }

  async stopContainer(id: string, seconds: number, timeoutMs: number): Promise<void> {
    await this.client.ok(`/containers/${enc(id)}/stop`, {
      method: 'POST',
      query: { timeout: seconds },
      timeoutMs,
    });
  }

  async removeContainer(id: string): Promise<void> {
    await this.client.ok(`/containers/${enc(id)}`, { method: 'DELETE', query: { force: true, timeout: 0 } });
  }

  async inspectContainer(id: string): Promise<Json> {
    return record(await this.client.ok(`/containers/${enc(id)}/json`), `containers/${id}/json`);
  }

  /** Every container matching the labels, any state: podman's `ps -a --format json` records. */
  async listContainers(filter: LabelFilter): Promise<Json[]> {
    return records(
      await this.client.ok('/containers/json', { query: { all: true, filters: labelFilters(filter) } }),
    );
  }

  async imageExists(ref: string): Promise<boolean> {
    const res = await this.client.call(`/images/${enc(ref)}/exists`);
    if (res.status === 204) return true;
    if (res.status === 404) return false;
    throw apiError(`GET /images/${ref}/exists`, res.status, res.body);
  }

  /** Container events of this filter as they happen; ends when the signal aborts or the service goes. */
  containerEvents(filter: LabelFilter, signal: AbortSignal): AsyncGenerator<unknown> {
    const filters = JSON.stringify({ type: ['container'], label: labelList(filter) });
    return this.client.stream('/events', { query: { stream: true, filters }, signal });
  }
}

function enc(id: string): string {
  // Image references carry '/' and ':' that the API's routes expect as they are.
  return id.split('/').map(encodeURIComponent).join('/');
}

function labelList(filter: LabelFilter): string[] {
  return Object.entries(filter).map(([k, v]) => `${k}=${v}`);
}

export function labelFilters(filter: LabelFilter): string {
  return JSON.stringify({ label: labelList(filter) });
}

function record(body: unknown, what: string): Json {
  if (isRecord(body)) return body;
  throw new RuntimeError('Failed', `podman API ${what} answered something that is not an object`, what);
}

function records(body: unknown): Json[] {
  if (Array.isArray(body)) return body.filter(isRecord);
  return typeof body === 'string' ? parseJsonRecords(body) : [];
}

function idOf(body: unknown, what: string): string {
  if (isRecord(body) && typeof body.Id === 'string' && body.Id !== '') return body.Id;
  throw new RuntimeError('Failed', `podman API ${what} answered no Id: ${JSON.stringify(body)}`, what);
}
