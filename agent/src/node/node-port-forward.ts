/**
 * `/kedge/node/v1/portforward/{ns}/{pod}` on every agent: the node end of `kubectl port-forward`.
 * Only the cluster's agents (node certificates) may call it; the API that tunnelled the request
 * here has already authorised the user (apiserver/streaming/pod-stream-proxy.ts).
 *
 *   upgrade ─> agent cert? ─> kubelet: the pod runs here, its IP
 *     WebSocket "SPDY/3.1+portforward.k8s.io" (kubectl 1.31+) ─┐ SPDY connection (spdy-server.ts)
 *     SPDY/3.1 "portforward.k8s.io" (older, and the fallback) ─┘
 *   each forwarded connection = two streams with one requestid: `error` and `data` (header port)
 *     data <══> TCP to podIP:port          a failed connect ─> its text on `error`
 *   the client goes away ─> every TCP connection of the session is closed
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { SpdyConnection, SpdyStream } from 'spdy-transport';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { isStatusError, makeStatus } from '../api/errors.ts';
import type { Status } from '../api/types/meta.ts';
import { refuseUpgrade, type UpgradeHandler } from '../apiserver/streaming/upgrade-tunnel.ts';
import type { Kubelet } from '../kubelet/kubelet.ts';
import { isAgent } from './node-routes.ts';
import { acceptSpdy, spdyServer } from './spdy-server.ts';

const NODE_PORT_FORWARD_PATH = /^\/kedge\/node\/v1\/portforward\/([^/]+)\/([^/]+)$/;
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNELED_PORT_FORWARD_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

export interface NodePortForwardDeps {
  readonly nodeName: string;
  readonly kubelet: () => Pick<Kubelet, 'portForwardTarget'> | undefined;
  readonly log: (message: string) => void;
  /** Who may call (tests on plain sockets); defaults to the cluster's agents. */
  readonly allowed?: (req: IncomingMessage) => boolean;
}

export function nodePortForwardUpgrades(deps: NodePortForwardDeps): UpgradeHandler {
  const websockets = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  // "SPDY/3.1+portforward.k8s.io" is not an RFC 7230 token ('/' is a separator), so ws refuses
  // it as a subprotocol: accept() took it out of the request, and it is named in the 101 here.
  websockets.on('headers', (headers) => {
    headers.push(`Sec-WebSocket-Protocol: ${TUNNELED_PORT_FORWARD_PROTOCOL}`);
  });
  const allowed = deps.allowed ?? isAgent;
  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const match = NODE_PORT_FORWARD_PATH.exec(url.pathname);
    if (match === null) return false;
    socket.on('error', () => socket.destroy());
    if (!allowed(req)) {
      refuseUpgrade(
        socket,
        makeStatus('Forbidden', "this endpoint answers the cluster's agents (node certificates) only"),
      );
      return true;
    }
    const namespace = decodeURIComponent(match[1]!);
    const name = decodeURIComponent(match[2]!);
    accept(deps, req, namespace, name).then(
      (accepted) => {
        if (!('address' in accepted)) return refuseUpgrade(socket, accepted);
        if (socket.destroyed) return;
        const forward = (connection: SpdyConnection, gone: (listener: () => void) => void) =>
          forwardStreams(connection, gone, accepted.address, name, deps.log);
        if (accepted.transport === 'spdy') {
          const connection = acceptSpdy(socket, head, PORT_FORWARD_PROTOCOL, deps.log);
          forward(connection, (listener) => socket.once('close', listener));
        } else
          websockets.handleUpgrade(req, socket, head, (ws) => {
            // The WebSocket's binary messages carry the SPDY bytes as they are.
            const tunnel = createWebSocketStream(ws);
            tunnel.on('error', (error) => deps.log(`port-forward WebSocket: ${error.message}`));
            forward(spdyServer(tunnel, deps.log), (listener) => ws.once('close', listener));
          });
      },
      (error: unknown) =>
        refuseUpgrade(
          socket,
          makeStatus('InternalError', `port-forward to ${namespace}/${name}: ${(error as Error).message}`),
        ),
    );
    return true;
  };
}

type Accepted = { readonly transport: 'spdy' | 'websocket'; readonly address: string };

async function accept(
  deps: NodePortForwardDeps,
  req: IncomingMessage,
  namespace: string,
  name: string,
): Promise<Accepted | Status> {
  const kubelet = deps.kubelet();
  if (kubelet === undefined)
    return makeStatus(
      'ServiceUnavailable',
      `the kubelet of ${deps.nodeName} is still starting; retry shortly`,
    );
  let address: string;
  try {
    ({ address } = await kubelet.portForwardTarget({ namespace, name }));
  } catch (error) {
    if (isStatusError(error)) return error.status;
    throw error;
  }
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  const offered = (header: string | string[] | undefined) =>
    (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim());
  if (
    upgrade === 'spdy/3.1' &&
    offered(req.headers['x-stream-protocol-version']).includes(PORT_FORWARD_PROTOCOL)
  )
    return { transport: 'spdy', address };
  if (
    upgrade === 'websocket' &&
    offered(req.headers['sec-websocket-protocol']).includes(TUNNELED_PORT_FORWARD_PROTOCOL)
  ) {
    delete req.headers['sec-websocket-protocol'];
    return { transport: 'websocket', address };
  }
  return makeStatus(
    'BadRequest',
    `port-forward speaks ${PORT_FORWARD_PROTOCOL} over SPDY/3.1 or ${TUNNELED_PORT_FORWARD_PROTOCOL} over WebSocket; this client offered neither`,
  );
}

/** Pairs each request's `error` and `data` streams and joins `data` to a TCP connection to the pod. */
function forwardStreams(
  connection: SpdyConnection,
  gone: (listener: () => void) => void,
  address: string,
  podName: string,
  log: (message: string) => void,
): void {
  const pending = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  const open = new Set<Socket>();
  gone(() => {
    for (const socket of open) socket.destroy();
  });
  connection.on('stream', (stream) => {
    const type = stream.headers.streamtype ?? '';
    const id = stream.headers.requestid ?? '';
    stream.on('error', (error) => log(`port-forward stream ${type} ${id}: ${error.message}`));
    stream.respond(200, {});
    if (type !== 'error' && type !== 'data') {
      stream.abort();
      return;
    }
    const pair = pending.get(id) ?? {};
    pair[type] = stream;
    pending.set(id, pair);
    if (pair.error === undefined || pair.data === undefined) return;
    pending.delete(id);
    const { error, data } = pair;
    const port = Number(stream.headers.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      error.end(`invalid port "${stream.headers.port ?? ''}": a port is a number from 1 to 65535`);
      data.end();
      return;
    }
    const socket = connect({ host: address, port });
    open.add(socket);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      data.pipe(socket);
      socket.pipe(data);
    });
    socket.on('error', (failure) => {
      // Kubernetes' wording; kubectl prints it and keeps serving other connections.
      if (!connected) error.end(`error forwarding port ${port} to pod ${podName}: ${failure.message}`);
      data.end();
    });
    socket.once('close', () => {
      open.delete(socket);
      if (!error.writableEnded) error.end();
    });
    data.on('error', () => socket.destroy());
  });
}
