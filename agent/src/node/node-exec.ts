/**
 * `/kedge/node/v1/exec/{ns}/{pod}?command=...` on every agent: the node end of `kubectl exec`;
 * `/kedge/node/v1/attach/{ns}/{pod}` the same for `kubectl attach` (podman attach, no command).
 * Only the cluster's agents (node certificates) may call it; the API server that tunnelled the
 * request here has already authenticated and authorised the user (apiserver/streaming/).
 *
 *   upgrade ─> agent cert? ─> query ─> kubelet: the running container ─> WebSocket + subprotocol
 *           ─> podman exec (runtime/exec-stream.ts) <═> exec-session.ts until exit or disconnect
 *   any check fails ─> a Status in place of the 101 (the client prints its message)
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer } from 'ws';
import { isStatusError, makeStatus } from '../api/errors.ts';
import type { Status } from '../api/types/meta.ts';
import {
  chooseProtocol,
  type ExecRequest,
  failureStatus,
  parseAttachQuery,
  parseExecQuery,
  type StreamProtocol,
  SUPPORTED_STREAMING,
} from '../apiserver/streaming/channel-protocol.ts';
import { refuseUpgrade, type UpgradeHandler } from '../apiserver/streaming/upgrade-tunnel.ts';
import type { Kubelet } from '../kubelet/kubelet.ts';
import { type ExecProcess, type ExecStreamOptions, startAttach, startExec } from '../runtime/exec-stream.ts';
import type { PodmanCli } from '../runtime/podman-cli.ts';
import { type ExecClient, runExecSession } from './exec-session.ts';
import { isAgent } from './node-routes.ts';
import { acceptSpdyExec, offersSpdyProtocol } from './spdy-exec-client.ts';
import { websocketExecClient } from './websocket-exec-client.ts';

const NODE_EXEC_PATH = /^\/kedge\/node\/v1\/(exec|attach)\/([^/]+)\/([^/]+)$/;

export interface NodeExecDeps {
  readonly nodeName: string;
  readonly kubelet: () => Pick<Kubelet, 'execTarget'> | undefined;
  readonly cli: PodmanCli;
  readonly log: (message: string) => void;
  /** Starts the command (tests hand in a fake); defaults to `podman exec`. */
  readonly start?: (id: string, command: readonly string[], options: ExecStreamOptions) => ExecProcess;
  /** Attaches to the container's process (tests hand in a fake); defaults to `podman attach`. */
  readonly attach?: (id: string, options: ExecStreamOptions) => ExecProcess;
  /** Who may call (tests on plain sockets); defaults to the cluster's agents. */
  readonly allowed?: (req: IncomingMessage) => boolean;
}

export function nodeExecUpgrades(deps: NodeExecDeps): UpgradeHandler {
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // The same choice accept() checked, so the 101 names the protocol the session speaks.
    handleProtocols: (offered) => chooseProtocol(offered) ?? false,
    maxPayload: 16 * 1024 * 1024,
  });
  const start = deps.start ?? ((id, command, options) => startExec(deps.cli, id, command, options));
  const attach = deps.attach ?? ((id, options) => startAttach(deps.cli, id, options));
  const allowed = deps.allowed ?? isAgent;
  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const match = NODE_EXEC_PATH.exec(url.pathname);
    if (match === null) return false;
    socket.on('error', () => socket.destroy());
    if (!allowed(req)) {
      refuseUpgrade(
        socket,
        makeStatus('Forbidden', "this endpoint answers the cluster's agents (node certificates) only"),
      );
      return true;
    }
    const mode = match[1] === 'attach' ? 'attach' : 'exec';
    const namespace = decodeURIComponent(match[2]!);
    const name = decodeURIComponent(match[3]!);
    let upgraded = false;
    (async () => {
      const accepted = await accept(deps, req, url, mode, namespace, name);
      if (!('id' in accepted)) return refuseUpgrade(socket, accepted);
      // The client may have left while the checks ran.
      if (socket.destroyed) return;
      upgraded = true;
      const { request } = accepted;
      const client =
        accepted.transport === 'websocket'
          ? await new Promise<ExecClient>((resolve) =>
              server.handleUpgrade(req, socket, head, (ws) =>
                resolve(websocketExecClient(ws, accepted.protocol, deps.log)),
              ),
            )
          : await acceptSpdyExec(socket, head, request, deps.log);
      let command: ExecProcess;
      try {
        const options = { stdin: request.stdin, tty: request.tty };
        command =
          mode === 'attach' ? attach(accepted.id, options) : start(accepted.id, request.command, options);
      } catch (error) {
        client.finish(failureStatus(`the command could not be started: ${(error as Error).message}`));
        return;
      }
      await runExecSession(client, command, { request, log: deps.log });
    })().catch((error: unknown) => {
      const message = `${mode} into ${namespace}/${name}: ${(error as Error).message}`;
      if (upgraded) deps.log(message);
      else refuseUpgrade(socket, makeStatus('InternalError', message));
    });
    return true;
  };
}

type Accepted =
  | {
      readonly transport: 'websocket';
      readonly protocol: StreamProtocol;
      readonly request: ExecRequest;
      readonly id: string;
    }
  | { readonly transport: 'spdy'; readonly request: ExecRequest; readonly id: string };

/** Every check Kubernetes makes before it switches protocols; a Status when one fails. */
async function accept(
  deps: NodeExecDeps,
  req: IncomingMessage,
  url: URL,
  mode: 'exec' | 'attach',
  namespace: string,
  name: string,
): Promise<Accepted | Status> {
  const request = (mode === 'attach' ? parseAttachQuery : parseExecQuery)(url.searchParams);
  if (isStatusError(request)) return request.status;
  const kubelet = deps.kubelet();
  if (kubelet === undefined)
    return makeStatus(
      'ServiceUnavailable',
      `the kubelet of ${deps.nodeName} is still starting; retry shortly`,
    );
  let id: string;
  try {
    ({ id } = await kubelet.execTarget({ namespace, name, container: request.container }));
  } catch (error) {
    if (isStatusError(error)) return error.status;
    throw error;
  }
  // Checked after the pod so that a client learns first that the pod or container does not exist.
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'spdy/3.1') {
    if (!offersSpdyProtocol(req.headers['x-stream-protocol-version']))
      return makeStatus(
        'BadRequest',
        `this client offered ${req.headers['x-stream-protocol-version'] ?? 'no protocol'} over SPDY: ${SUPPORTED_STREAMING}`,
      );
    return { transport: 'spdy', request, id };
  }
  if (upgrade !== 'websocket')
    return makeStatus('BadRequest', `cannot upgrade to "${upgrade}": ${SUPPORTED_STREAMING}`);
  const protocol = chooseProtocol(req.headers['sec-websocket-protocol']);
  if (protocol === undefined)
    return makeStatus(
      'BadRequest',
      `this client offered ${req.headers['sec-websocket-protocol'] ?? 'no protocol'} over WebSocket: ${SUPPORTED_STREAMING}`,
    );
  return { transport: 'websocket', protocol, request, id };
}
