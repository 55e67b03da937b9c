/**
 * `pods/{name}/exec`, `pods/{name}/attach` and `pods/{name}/portforward` on the API: authenticated and authorised like
 * the rest of the API (`create` on the subresource, which the view role lacks), checked, then
 * tunnelled byte for byte to the agent of the pod's node, which speaks the stream protocol
 * (node/node-exec.ts, node/node-port-forward.ts).
 *
 *   kubectl ──Upgrade──> any voter: token -> identity -> create pods/{sub} -> pod -> node
 *                          └─ TLS + node certificate ─> /kedge/node/v1/{exec|attach|portforward}/{ns}/{pod}?...
 *   kubectl <════ 101 + channel frames, relayed unchanged (upgrade-tunnel.ts) ════ node agent
 *
 * A request without an upgrade (curl, a plain POST) is answered with a Status that says why.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isStatusError, makeStatus, StatusError } from '../../api/errors.ts';
import type { Pod } from '../../api/types/pod.ts';
import { forbiddenError } from '../../auth/authorizer.ts';
import type { ResourceAttributes } from '../../auth/roles.ts';
import type { Identity } from '../../auth/tokens.ts';
import { parseAttachQuery, parseExecQuery } from './channel-protocol.ts';
import { refuseUpgrade, tunnelUpgrade, type UpgradeHandler } from './upgrade-tunnel.ts';

const STREAM_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;
type Subresource = 'exec' | 'attach' | 'portforward';

export interface ExecProxyDeps {
  readonly authenticate: (header: string | undefined) => Identity | undefined;
  readonly authorize: (identity: Identity, attributes: ResourceAttributes) => boolean;
  /** The cluster's agents by node name, with the address of their API port. */
  readonly members: () => readonly { readonly name: string; readonly apiAddress: string }[];
  /** The pod, or a thrown StatusError (NotFound) when there is none. */
  readonly getPod: (namespace: string, name: string) => Promise<Pod>;
  readonly caPem: string;
  readonly nodeCert: { readonly cert: string; readonly key: string };
}

/** Upgrade requests to pods/{name}/exec, pods/{name}/attach and pods/{name}/portforward. */
export function podStreamUpgrades(deps: ExecProxyDeps): UpgradeHandler {
  return (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const match = STREAM_PATH.exec(url.pathname);
    if (match === null) return false;
    socket.on('error', () => socket.destroy());
    const namespace = decodeURIComponent(match[1]!);
    const name = decodeURIComponent(match[2]!);
    const subresource = match[3] as Subresource;
    proxyStream(deps, req, socket, head, { namespace, name, subresource }, url).catch((error: unknown) =>
      refuseUpgrade(
        socket,
        isStatusError(error) ? error.status : makeStatus('InternalError', (error as Error).message),
      ),
    );
    return true;
  };
}

/** Plain (not upgraded) requests to these paths: a Status that tells the client what to do. */
export function podStreamWithoutUpgrade(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'https://agent');
  if (!STREAM_PATH.test(url.pathname)) return false;
  const status = makeStatus(
    'BadRequest',
    'exec, attach and port-forward stream over an upgraded connection: send the request with ' +
      '"Upgrade: websocket" (or SPDY/3.1) and a stream protocol, as kubectl does',
  );
  const body = JSON.stringify(status);
  res.writeHead(status.code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
  return true;
}

async function proxyStream(
  deps: ExecProxyDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: { namespace: string; name: string; subresource: Subresource },
  url: URL,
): Promise<void> {
  const { namespace, name, subresource } = target;
  const identity = deps.authenticate(req.headers.authorization);
  if (identity === undefined) throw statusError('Unauthorized', 'Unauthorized');
  const attributes: ResourceAttributes = {
    verb: 'create',
    group: '',
    resource: 'pods',
    subresource,
    namespace,
    name,
    namespaced: true,
  };
  if (!deps.authorize(identity, attributes)) throw forbiddenError(identity, attributes);
  if (subresource !== 'portforward') {
    const request = (subresource === 'exec' ? parseExecQuery : parseAttachQuery)(url.searchParams);
    if (isStatusError(request)) throw request;
  }
  const pod = await deps.getPod(namespace, name);
  const nodeName = pod.spec.nodeName ?? '';
  if (nodeName === '')
    throw statusError('BadRequest', `pod ${name} is not scheduled on a node yet; wait until it runs`);
  const member = deps.members().find((m) => m.name === nodeName);
  if (member === undefined)
    throw statusError('BadRequest', `node ${nodeName} of pod ${name} is not a member of this cluster`);
  const colon = member.apiAddress.lastIndexOf(':');
  const host = member.apiAddress.slice(0, colon);
  const port = Number(member.apiAddress.slice(colon + 1));
  try {
    await tunnelUpgrade(req, socket, head, {
      host,
      port,
      path: `/kedge/node/v1/${subresource}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${url.search}`,
      ca: deps.caPem,
      clientCert: deps.nodeCert,
      // The node trusts this agent's certificate; the user's token stays on the API.
      dropHeaders: ['authorization'],
    });
  } catch (error) {
    throw statusError(
      'ServiceUnavailable',
      `the agent of node ${nodeName} (${member.apiAddress}) did not answer: ${(error as Error).message}; retry when the node is Ready`,
    );
  }
}

function statusError(reason: Parameters<typeof makeStatus>[0], message: string): StatusError {
  return new StatusError(makeStatus(reason, message));
}
