/**
 * The read side of the controllers' ClusterClient over the API (ApiClient), so node components
 * can use the same Informer as the leader (list, watch from the revision, resume, re-list on 410).
 * Node components only read through it: the writes answer MethodNotAllowed.
 */
import { methodNotAllowed, StatusError } from '../api/errors.ts';
import { findResource } from '../api/registry.ts';
import type { KubeList, KubeObject, Status } from '../api/types/meta.ts';
import type {
  ClientListOptions,
  ClientWatch,
  ClientWatchOptions,
  ClusterClient,
  ResourceRef,
} from '../controllers/runtime/client.ts';
import type { WatchEvent } from '../store/watch-hub.ts';
import type { ApiClient } from './api-client.ts';

function collectionPath(ref: ResourceRef, namespace: string | undefined): string {
  const info = findResource(ref.group, ref.resource);
  const version = info?.version ?? 'v1';
  const base = ref.group === '' ? `/api/${version}` : `/apis/${ref.group}/${version}`;
  const scoped = info?.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${scoped}/${ref.resource}`;
}

function query(options: ClientListOptions & { resourceVersion?: string; watch?: boolean }): string {
  const q = new URLSearchParams();
  if (options.labelSelector) q.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) q.set('fieldSelector', options.fieldSelector);
  if (options.watch) {
    q.set('watch', 'true');
    q.set('allowWatchBookmarks', 'true');
  }
  if (options.resourceVersion !== undefined) q.set('resourceVersion', options.resourceVersion);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export class HttpClusterReader implements ClusterClient {
  readonly #api: ApiClient;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  async list(ref: ResourceRef, options: ClientListOptions = {}): Promise<KubeList | StatusError> {
    const reply = await this.#api.call('GET', `${collectionPath(ref, options.namespace)}${query(options)}`);
    return reply instanceof StatusError ? reply : (reply.json as KubeList);
  }

  async watch(
    ref: ResourceRef,
    options: ClientWatchOptions,
    sink: (event: WatchEvent) => void,
  ): Promise<ClientWatch | StatusError> {
    let failure: StatusError | undefined;
    let stop: () => void = () => {};
    const path = `${collectionPath(ref, options.namespace)}${query({ ...options, watch: true })}`;
    const stream = await this.#api.stream(path, (line) => {
      const event = JSON.parse(line) as { type: WatchEvent['type']; object: KubeObject | Status };
      if (event.type === 'ERROR') {
        failure = StatusError.fromStatus(event.object as Status);
        stop();
        return;
      }
      const revision = Number((event.object as KubeObject).metadata?.resourceVersion ?? '0');
      sink({ type: event.type, object: event.object, revision });
    });
    if (stream instanceof StatusError) return stream;
    stop = () => stream.stop();
    return { stop: () => stream.stop(), closed: stream.closed.then((e) => failure ?? e) };
  }

  async get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | StatusError> {
    const reply = await this.#api.call(
      'GET',
      `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}`,
    );
    return reply instanceof StatusError ? reply : (reply.json as KubeObject);
  }

  async create(): Promise<StatusError> {
    return methodNotAllowed();
  }
  async update(): Promise<StatusError> {
    return methodNotAllowed();
  }
  async updateStatus(): Promise<StatusError> {
    return methodNotAllowed();
  }
  async delete(): Promise<StatusError> {
    return methodNotAllowed();
  }
}
