/**
 * The HTTP(S) server around dispatch(): TLS with the cluster's serving certificate (plain HTTP
 * only for tests), header and body timeouts, and the Status/JSON writer.
 *
 *   client --TLS--> node:https --> dispatch (route, authn, authz, body, handler) --> JSON | Table | watch stream
 *                                     \-- any thrown error --> Status {code, reason, message}
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type DispatchOptions, dispatch } from './dispatch.ts';
import { warningHeaders } from './field-validation.ts';
import { toStatus } from './status.ts';

export interface ApiServerOptions extends Omit<DispatchOptions, 'serverAddress' | 'clientCertificates'> {
  /** The serving certificate and key (PEM). Without them the server speaks plain HTTP — tests only:
   * kubectl never sends a bearer token over HTTP. */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    /** When set, clients may present a certificate signed by this CA instead of a token. */
    readonly clientCa?: string;
  };
  /** Called with unexpected (500) errors, for the agent's log. Never given request bodies. */
  readonly onInternalError?: (error: unknown, req: IncomingMessage) => void;
}

export interface ApiServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createApiServer(options: ApiServerOptions): ApiServer {
  let address = '';
  const clientCa = options.tls?.clientCa;
  const dispatchOptions: DispatchOptions = {
    ...options,
    clientCertificates: clientCa !== undefined,
    serverAddress: () => address,
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    serve(dispatchOptions, options, req, res);
  };
  const server: Server = options.tls
    ? (createHttpsServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          // Ask for a certificate but do not require one: token clients send none. An unverified
          // certificate authenticates nobody (certificateIdentity checks `authorized`).
          ...(clientCa !== undefined ? { ca: clientCa, requestCert: true, rejectUnauthorized: false } : {}),
        },
        handler,
      ) as unknown as Server)
    : createHttpServer(handler);
  // Slow-loris guards: the headers within 30 s and the whole request body within 60 s.
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  return {
    server,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const info = server.address() as AddressInfo;
          address = `${host}:${info.port}`;
          resolve(info);
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function serve(
  dispatchOptions: DispatchOptions,
  options: ApiServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  dispatch(dispatchOptions, req, res).then(
    (reply) => {
      if (reply.kind === 'json') {
        const warnings = reply.warnings ?? [];
        const headers: Record<string, string[]> =
          warnings.length > 0 ? { Warning: warningHeaders(warnings) } : {};
        writeJson(res, reply.code, reply.body, reply.contentType, headers);
      } else if (reply.kind === 'raw')
        writeRaw(res, reply.code, reply.body, reply.contentType, reply.headers);
    },
    (error: unknown) => {
      const status = toStatus(error);
      if (status.code >= 500 && status.reason === 'InternalError') options.onInternalError?.(error, req);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers: Record<string, string> = {};
      if (status.details?.retryAfterSeconds !== undefined)
        headers['Retry-After'] = String(status.details.retryAfterSeconds);
      // A request whose body we refused to read must not be reused for the next request.
      if (status.code === 413) headers.Connection = 'close';
      writeJson(res, status.code, status, undefined, headers);
      if (status.code === 413) req.resume();
    },
  );
}

function writeJson(
  res: ServerResponse,
  code: number,
  body: object,
  contentType = 'application/json',
  headers: Record<string, string | string[]> = {},
): void {
  writeRaw(res, code, JSON.stringify(body), contentType, headers);
}

function writeRaw(
  res: ServerResponse,
  code: number,
  text: string,
  contentType: string,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}
