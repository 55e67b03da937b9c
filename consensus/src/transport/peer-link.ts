// One outbound connection to one peer: a bounded queue of encoded frames, written in batches
// (cork/uncork -> one writev per flush), large messages interleaved one chunk per flush so that
// heartbeats overtake a snapshot, and reconnection with capped exponential backoff.

import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../node/logger.ts';
import type { NodeId } from '../types.ts';
import { encodeHello } from './frame.ts';
import { certificateName, nodeIdOfCertificate } from './peer-identity.ts';

export interface TlsCredentials {
  /** PEM private key of this node. */
  readonly key: string | Buffer;
  /** PEM certificate of this node, CN=node-<id>, signed by `ca`. */
  readonly cert: string | Buffer;
  /** PEM certificate of the cluster CA that signs every node's certificate. */
  readonly ca: string | Buffer;
}

export interface PeerLinkOptions {
  readonly self: NodeId;
  readonly peer: NodeId;
  /** host:port of the peer's listener. */
  readonly address: string;
  readonly tls: TlsCredentials | undefined;
  /** Frames kept while the connection is down or slow; past this new frames are dropped. */
  readonly maxQueuedFrames: number;
  /** Large messages (already chunked) kept at once; past this new ones are dropped. */
  readonly maxQueuedLarge: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
  /** The connection is up (after the TLS handshake in TLS mode). */
  readonly onEstablished: () => void;
  /** An established connection closed. */
  readonly onLost: () => void;
}

/** A chunked message in the queue; `done` learns whether its last chunk reached the socket. */
interface LargeMessage {
  readonly chunks: Buffer[];
  readonly done: (delivered: boolean) => void;
}

export interface LinkStats {
  framesSent: number;
  framesDropped: number;
  connects: number;
}

/** Splits host:port (IPv6 hosts in brackets). */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!match?.[1] || !match[2])
    throw new Error(`bad peer address ${JSON.stringify(address)}: want host:port`);
  return { host: match[1], port: Number(match[2]) };
}

export class PeerLink {
  readonly #options: PeerLinkOptions;
  #socket: net.Socket | undefined;
  #established = false;
  #closed = false;
  #backoffMs: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #frames: Buffer[] = [];
  #large: LargeMessage[] = [];
  #flushScheduled = false;
  readonly stats: LinkStats = { framesSent: 0, framesDropped: 0, connects: 0 };

  constructor(options: PeerLinkOptions) {
    this.#options = options;
    this.#backoffMs = options.backoffMinMs;
    this.#connect();
  }

  get established(): boolean {
    return this.#established;
  }

  /** Queues one frame; false when the queue is full and the frame was dropped. */
  enqueue(frame: Buffer): boolean {
    if (this.#frames.length >= this.#options.maxQueuedFrames) {
      this.stats.framesDropped++;
      return false;
    }
    this.#frames.push(frame);
    this.#scheduleFlush();
    return true;
  }

  /**
   * Queues the chunk frames of one large message; `done(true)` once its last chunk is handed to
   * the kernel, `done(false)` if it is dropped (queue full, connection lost mid-stream, closed).
   */
  enqueueLarge(chunks: Buffer[], done: (delivered: boolean) => void): void {
    if (this.#large.length >= this.#options.maxQueuedLarge) {
      this.stats.framesDropped += chunks.length;
      done(false);
      return;
    }
    this.#large.push({ chunks, done });
    this.#scheduleFlush();
  }

  /** Fails every queued large message: its chunks cannot continue on another connection. */
  #failLarge(): void {
    const failed = this.#large;
    this.#large = [];
    for (const message of failed) message.done(false);
  }

  /** Closes for good (the peer was removed or the transport closes); fires no onLost. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#frames = [];
    this.#failLarge();
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #connect(): void {
    if (this.#closed) return;
    const { host, port } = parseAddress(this.#options.address);
    const credentials = this.#options.tls;
    const peer = this.#options.peer;
    let socket: net.Socket;
    if (credentials) {
      socket = tls.connect({
        host,
        port,
        key: credentials.key,
        cert: credentials.cert,
        ca: credentials.ca,
        // Identity is the node id in the certificate, not the host name: addresses are loopback
        // or IPs here, and a node's address may change while its id never does.
        checkServerIdentity: (_host, cert) =>
          nodeIdOfCertificate(cert) === peer
            ? undefined
            : new Error(`peer ${peer} presented ${cert.subject?.CN}, want ${certificateName(peer)}`),
      });
      socket.once('secureConnect', () => this.#onConnected(socket));
    } else {
      socket = net.connect({ host, port });
      socket.once('connect', () => this.#onConnected(socket));
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // Refused or reset connections are routine while a peer restarts: debug, and retry. Anything
      // else (a certificate the peer or we reject) needs a person: warn.
      const routine = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(
        error.code ?? '',
      );
      const logger = this.#options.logger;
      const fields = { peer, address: this.#options.address, code: error.code, error: error.message };
      if (routine) logger.debug('peer link error', fields);
      else logger.warn('peer link error', fields);
    });
    socket.on('data', () => {
      // The listener never writes on our outbound connection; ignore anything it might.
    });
    socket.on('drain', () => this.#scheduleFlush());
    socket.once('close', () => this.#onClosed(socket));
  }

  #onConnected(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    this.#established = true;
    this.#backoffMs = this.#options.backoffMinMs;
    this.stats.connects++;
    socket.write(encodeHello(this.#options.self, this.#options.peer));
    this.#options.onEstablished();
    this.#scheduleFlush();
  }

  #onClosed(socket: net.Socket): void {
    if (socket !== this.#socket) return;
    const wasEstablished = this.#established;
    this.#socket = undefined;
    this.#established = false;
    // The receiver reassembles per connection: a half-sent message is lost with the connection.
    this.#failLarge();
    if (this.#closed) return;
    if (wasEstablished) this.#options.onLost();
    // Jitter (half the backoff, random) keeps peers that lost the same node from reconnecting in lockstep.
    const wait = this.#backoffMs / 2 + (Math.random() * this.#backoffMs) / 2;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.backoffMaxMs);
    this.#reconnectTimer = setTimeout(() => this.#connect(), wait);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const socket = this.#socket;
    if (!socket || !this.#established || socket.writableNeedDrain) return;
    if (this.#frames.length > 0) {
      const frames = this.#frames;
      this.#frames = [];
      socket.cork();
      for (const frame of frames) socket.write(frame);
      socket.uncork();
      this.stats.framesSent += frames.length;
    }
    // One chunk per flush: frames queued meanwhile (heartbeats, votes) go before the next chunk.
    const large = this.#large[0];
    if (large && !socket.writableNeedDrain) {
      const chunk = large.chunks.shift();
      const last = large.chunks.length === 0;
      if (last) this.#large.shift();
      if (chunk) {
        socket.write(chunk, last ? (error) => large.done(!error) : undefined);
        this.stats.framesSent++;
      }
      if (this.#large.length > 0) this.#scheduleFlush();
    }
  }
}
