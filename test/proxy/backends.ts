import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type Agent, createServer, get, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';

/** An HTTP backend on a loopback address that answers with its own name. */
export interface HttpBackend {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly server: Server;
  /** Dies like a crashed process: stops listening and resets every open connection. */
  kill(): Promise<void>;
}

export async function httpBackend(name: string, ip: string, delayMs = 0): Promise<HttpBackend> {
  const server = createServer((_req, res) => {
    const reply = () => res.end(name);
    if (delayMs > 0) setTimeout(reply, delayMs);
    else reply();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    name,
    ip,
    port,
    server,
    kill: async () => {
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A TCP echo backend that prefixes every chunk with its name (for raw, long-lived connections). */
export async function echoBackend(name: string, ip: string): Promise<{ port: number; server: TcpServer }> {
  const server = createTcpServer((s) => {
    s.on('data', (d) => s.write(`${name}:${d.toString()}`));
    s.on('error', () => s.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, ip, resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** A UDP backend that answers every datagram with `<name>:<datagram>`. */
export async function udpEchoBackend(name: string, ip: string): Promise<{ port: number; socket: UdpSocket }> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`${name}:${msg.toString()}`, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, ip, resolve));
  return { port: socket.address().port, socket };
}

/** GET http://host:port/ and return the body; rejects on any failure. */
export function fetchName(
  host: string,
  port: number,
  agent?: Agent,
  localAddress?: string,
  timeoutMs = 3000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(
      { host, port, path: '/', agent: agent ?? false, ...(localAddress ? { localAddress } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}
