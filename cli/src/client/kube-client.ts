/**
 * The typed Kubernetes REST client the commands use: get, list (all pages), create, patch,
 * replace, delete, watch with resumption, Tables, subresources and plain-text logs. Paths and
 * query parameters are the ones kubectl sends (kubectl-compat.md §4).
 */
import type { IncomingMessage } from 'node:http';
import type { KubeList, KubeObject, ResourceInfo, Table } from '../api.ts';
import { ApiError } from './api-error.ts';
import { LineSplitter } from './lines.ts';
import { resourcePath } from './resources.ts';
import type { Transport } from './transport.ts';

/** kubectl's Accept for `get`: a Table if the server can, else plain JSON. */
export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export type PatchType = 'strategic' | 'merge' | 'json';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface WatchOptions extends ListOptions {
  /** Start after this revision (the list's resourceVersion); "" or "0" starts with the current state. */
  readonly resourceVersion: string;
  readonly signal?: AbortSignal;
  /** Ask for one-row Tables as event objects (`get -w`). */
  readonly table?: boolean;
  /** Per-stream server timeout; the watch resumes from the last revision when it ends. */
  readonly timeoutSeconds?: number;
  /**
   * Called when the server no longer has the history to resume from (410 Expired): returns a fresh
   * revision to resume at (after a re-list). Without it, Expired is thrown.
   */
  readonly relist?: () => Promise<string>;
}

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export class KubeClient {
  readonly transport: Transport;
  /** The namespace of the current context (or -n). */
  readonly namespace: string;

  constructor(transport: Transport, namespace: string) {
    this.transport = transport;
    this.namespace = namespace;
  }

  async get<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    subresource?: string,
  ): Promise<T> {
    return this.#json<T>({ method: 'GET', path: resourcePath(info, namespace, name, subresource) });
  }

  /** Lists every page (limit 500, following `continue`). */
  async list<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    o: ListOptions = {},
  ): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let first: KubeList<T> | undefined;
    do {
      const page = await this.#json<KubeList<T>>({
        method: 'GET',
        path: resourcePath(info, namespace),
        query: { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: 500, continue: cont },
      });
      first ??= page;
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return {
      ...(first as KubeList<T>),
      metadata: { resourceVersion: first?.metadata?.resourceVersion ?? '' },
      items,
    };
  }

  /** The server's Table for a list (or one object when `name` is given). */
  async table(
    info: ResourceInfo,
    namespace: string | undefined,
    o: ListOptions & { name?: string } = {},
  ): Promise<Table | KubeList | KubeObject> {
    return this.#json({
      method: 'GET',
      path: resourcePath(info, namespace, o.name),
      accept: TABLE_ACCEPT,
      query: o.name ? {} : { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: 500 },
    });
  }

  async create<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    object: KubeObject,
    o: { fieldManager?: string; errorContext?: string } = {},
  ): Promise<T> {
    return this.#json<T>({
      method: 'POST',
      path: resourcePath(info, namespace),
      query: { fieldManager: o.fieldManager },
      body: JSON.stringify(object),
      ...(o.errorContext ? { errorContext: o.errorContext } : {}),
    });
  }

  async patch<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    o: { subresource?: string; fieldManager?: string; errorContext?: string } = {},
  ): Promise<T> {
    return this.#json<T>({
      method: 'PATCH',
      path: resourcePath(info, namespace, name, o.subresource),
      query: { fieldManager: o.fieldManager },
      body: JSON.stringify(patch),
      contentType: PATCH_CONTENT_TYPES[type],
      ...(o.errorContext ? { errorContext: o.errorContext } : {}),
    });
  }

  async replace<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    object: KubeObject,
    subresource?: string,
  ): Promise<T> {
    return this.#json<T>({
      method: 'PUT',
      path: resourcePath(info, namespace, object.metadata.name, subresource),
      body: JSON.stringify(object),
    });
  }

  /** Deletes one object; returns the object as the server last saw it (or a Status). */
  async delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    o: DeleteOptions = {},
  ): Promise<KubeObject> {
    const body: Record<string, unknown> = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: o.propagationPolicy ?? 'Background',
    };
    if (o.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = o.gracePeriodSeconds;
    return this.#json({
      method: 'DELETE',
      path: resourcePath(info, namespace, name),
      body: JSON.stringify(body),
    });
  }

  /** A raw GET read to the end as text (pods/log without follow, /version). */
  async text(
    path: string,
    query: Record<string, string | number | boolean | undefined> = {},
  ): Promise<string> {
    return (await this.transport.request({ method: 'GET', path, query, accept: '*/*' })).text;
  }

  /** A raw GET whose body arrives over time (pods/log?follow=true). */
  async stream(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return this.transport.stream({
      method: 'GET',
      path,
      query,
      accept: '*/*',
      ...(signal ? { signal } : {}),
    });
  }

  async getPath<T>(path: string): Promise<T> {
    return this.#json<T>({ method: 'GET', path });
  }

  /**
   * Watches a collection from a revision, resuming where it left off when a stream ends (the
   * server's timeout, an agent restarting or losing leadership): no event is skipped or repeated.
   */
  async *watch<T = KubeObject>(
    info: ResourceInfo,
    namespace: string | undefined,
    o: WatchOptions,
  ): AsyncGenerator<WatchEvent<T>> {
    let rv = o.resourceVersion;
    while (!o.signal?.aborted) {
      let res: IncomingMessage;
      try {
        res = await this.transport.stream({
          method: 'GET',
          path: resourcePath(info, namespace),
          query: {
            watch: true,
            allowWatchBookmarks: true,
            resourceVersion: rv,
            labelSelector: o.labelSelector,
            fieldSelector: o.fieldSelector,
            timeoutSeconds: o.timeoutSeconds ?? 300,
          },
          ...(o.table ? { accept: TABLE_ACCEPT } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
      } catch (e) {
        if (o.signal?.aborted) return;
        if (e instanceof ApiError && e.code === 410 && o.relist) {
          rv = await o.relist();
          continue;
        }
        throw e;
      }
      const splitter = new LineSplitter();
      const openedAt = Date.now();
      let seen = 0;
      let expired = false;
      try {
        for await (const chunk of res) {
          for (const line of splitter.push((chunk as Buffer).toString('utf8'))) {
            const event = JSON.parse(line) as WatchEvent<T>;
            if (event.type === 'ERROR') {
              const status = event.object as unknown as { code?: number; reason?: string; message?: string };
              if (status.code === 410 && o.relist) {
                expired = true;
                break;
              }
              throw new ApiError(
                status as never,
                `Error from server (${status.reason ?? 'Unknown'}): ${status.message ?? 'watch failed'}`,
              );
            }
            const next = (event.object as { metadata?: { resourceVersion?: string } })?.metadata
              ?.resourceVersion;
            if (next) rv = next;
            seen++;
            if (event.type === 'BOOKMARK') continue;
            yield event;
          }
          if (expired) break;
        }
      } catch (e) {
        // A stream cut mid-way (the agent died) resumes from the last revision seen; other errors stop.
        if (o.signal?.aborted) return;
        if (e instanceof ApiError || e instanceof SyntaxError) throw e;
      } finally {
        res.destroy();
      }
      if (expired && o.relist) rv = await o.relist();
      // A server that closes watches at once must not turn this loop into a busy one.
      else if (seen === 0 && Date.now() - openedAt < 1_000) await new Promise((r) => setTimeout(r, 500));
    }
  }

  async #json<T>(r: Parameters<Transport['request']>[0]): Promise<T> {
    const reply = await this.transport.request(r);
    return (reply.text === '' ? {} : JSON.parse(reply.text)) as T;
  }

  close(): void {
    this.transport.close();
  }
}
