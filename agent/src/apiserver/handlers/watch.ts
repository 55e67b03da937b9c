/**
 * Watch streams: `200`, `Content-Type: application/json`, chunked, one watch event per line.
 * The replay from `resourceVersion` comes first (the backend guarantees no gap after a list), then
 * live events. The stream ends at `timeoutSeconds` (kubectl re-lists), when the client goes away,
 * or after an ERROR event (410 Expired for a too-old resourceVersion). A client that reads slower
 * than events arrive is cut off once `maxBufferedBytes` are queued, so one watcher cannot hold
 * unbounded memory.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject, Status } from '../../api/types/meta.ts';
import type { WatchEvent, WatchStream } from '../backend.ts';
import { toStatus } from '../status.ts';
import { type TableVersion, toTable } from '../table.ts';
import { type HandlerContext, refOf } from './context.ts';

export interface WatchLimits {
  /** Used when the client sends no timeoutSeconds, and the cap for those it sends. */
  readonly maxTimeoutSeconds: number;
  readonly maxBufferedBytes: number;
}

export const defaultWatchLimits: WatchLimits = {
  maxTimeoutSeconds: 1800,
  maxBufferedBytes: 16 * 1024 * 1024,
};

export async function serveWatch(
  ctx: HandlerContext,
  res: ServerResponse,
  table: TableVersion | undefined,
  limits: WatchLimits,
): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();

  let stream: WatchStream | undefined;
  let ended = false;
  const end = (abort = false): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    stream?.stop();
    // A client that stopped reading would never receive a graceful end either: drop the connection.
    if (abort) res.destroy();
    else if (!res.writableEnded) res.end();
  };
  // Node fires the request's 'close' once the body is read; only the response's 'close' means "gone".
  res.on('close', () => end());
  const seconds = Math.min(ctx.query.timeoutSeconds || limits.maxTimeoutSeconds, limits.maxTimeoutSeconds);
  const timer = setTimeout(() => end(), seconds * 1000);

  const send = (event: WatchEvent): void => {
    if (ended) return;
    const object =
      table && event.type !== 'ERROR' && event.type !== 'BOOKMARK'
        ? toTable(
            ctx.info,
            [event.object as KubeObject],
            { resourceVersion: String(event.revision) },
            table,
            ctx.now().getTime(),
          )
        : event.object;
    res.write(`${JSON.stringify({ type: event.type, object })}\n`);
    if (event.type === 'ERROR') end();
    else if (res.writableLength > limits.maxBufferedBytes) end(true);
  };

  try {
    stream = await ctx.backend.watch(
      refOf(ctx),
      {
        namespace: ctx.route.namespace,
        labelSelector: ctx.query.labelSelector,
        fieldSelector: ctx.query.fieldSelector,
        ...(ctx.query.resourceVersion !== undefined ? { resourceVersion: ctx.query.resourceVersion } : {}),
        allowBookmarks: ctx.query.allowWatchBookmarks,
      },
      send,
    );
    if (ended) stream.stop();
  } catch (error) {
    // Headers are sent: errors (410 Expired, a bad selector) travel as an ERROR event, as in Kubernetes.
    const status: Status = toStatus(error);
    send({ type: 'ERROR', object: status, revision: 0 });
  }
}
