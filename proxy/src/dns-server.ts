import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { DnsZone } from './dns-zone.ts';
import { bindError, type ProxyError } from './proxy-error.ts';

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

export interface DnsServerOptions {
  readonly address: string;
  readonly port: number;
  /** Where names outside the cluster domain go (the host's resolver); without it they are REFUSED. */
  readonly upstream?: { readonly address: string; readonly port: number };
  readonly upstreamTimeoutMs?: number;
}

/**
 * Service DNS over UDP and TCP on one address. Answers from the current DnsZone (swapped whole
 * when Services or the endpoint table change), forwards other names to the upstream resolver.
 */
export class DnsServer {
  readonly #o: DnsServerOptions;
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  #zone: DnsZone;

  constructor(zone: DnsZone, options: DnsServerOptions) {
    this.#zone = zone;
    this.#o = options;
    this.#udp = createSocket('udp4');
    this.#udp.on('message', (msg, rinfo) => void this.#onUdp(msg, rinfo));
    this.#tcp = createServer((socket) => this.#onTcp(socket));
  }

  setZone(zone: DnsZone): void {
    this.#zone = zone;
  }

  /** The UDP and TCP ports actually bound (useful with port 0). */
  ports(): { udp: number; tcp: number } {
    const tcp = this.#tcp.address();
    return { udp: this.#udp.address().port, tcp: typeof tcp === 'object' && tcp ? tcp.port : 0 };
  }

  async listen(): Promise<ProxyError | undefined> {
    const { address, port } = this.#o;
    const udpErr = await new Promise<ProxyError | undefined>((resolve) => {
      const onError = (err: Error) => resolve(bindError(`DNS UDP ${address}:${port}`, err));
      this.#udp.once('error', onError);
      this.#udp.bind(port, address, () => {
        this.#udp.off('error', onError);
        this.#udp.on('error', (err) => console.error(`kedge dns: UDP: ${String(err)}`));
        resolve(undefined);
      });
    });
    if (udpErr) return udpErr;
    // TCP on the same port number as UDP (port 0 lets the kernel pick the UDP one first).
    const tcpPort = this.#udp.address().port;
    return new Promise((resolve) => {
      const onError = (err: Error) => resolve(bindError(`DNS TCP ${address}:${tcpPort}`, err));
      this.#tcp.once('error', onError);
      this.#tcp.listen(tcpPort, address, () => {
        this.#tcp.off('error', onError);
        resolve(undefined);
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#udp.close(() => resolve()));
    await new Promise<void>((resolve) => this.#tcp.close(() => resolve()));
  }

  async #onUdp(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const reply = await this.#handle(msg);
    if (reply) this.#udp.send(reply, rinfo.port, rinfo.address);
  }

  #onTcp(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => socket.destroy()); // a client going away mid-query is routine
    socket.on('data', async (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const query = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        const reply = await this.#handle(query);
        if (!reply) continue;
        const framed = Buffer.alloc(2 + reply.length);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  }

  /** One query in, one reply out (undefined: not a query we can parse, so no reply). */
  async #handle(raw: Buffer): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(raw);
    } catch {
      // Garbage on the DNS port gets no answer, as with any resolver.
      return undefined;
    }
    const question = query.questions?.[0];
    if (!question) return respond(query, RCODE.REFUSED, []);
    const result = this.#zone.answer(question.name, question.type);
    if (result) return respond(query, RCODE[result.rcode], result.answers);
    if (!this.#o.upstream) return respond(query, RCODE.REFUSED, []);
    return (await this.#forward(raw)) ?? respond(query, RCODE.SERVFAIL, []);
  }

  /** Relays the query as is to the upstream resolver; undefined when it does not answer in time. */
  #forward(raw: Buffer): Promise<Buffer | undefined> {
    const upstream = this.#o.upstream!;
    return new Promise((resolve) => {
      const sock = createSocket('udp4');
      const done = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        sock.close();
        resolve(reply);
      };
      const timer = setTimeout(() => done(undefined), this.#o.upstreamTimeoutMs ?? 2000);
      sock.on('message', (reply) => done(reply));
      sock.on('error', () => done(undefined));
      sock.send(raw, upstream.port, upstream.address);
    });
  }
}

function respond(query: dnsPacket.DecodedPacket, rcode: number, answers: dnsPacket.Answer[]): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags:
      dnsPacket.AUTHORITATIVE_ANSWER |
      ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
      dnsPacket.RECURSION_AVAILABLE |
      rcode,
    questions: query.questions ?? [],
    answers,
  });
}
