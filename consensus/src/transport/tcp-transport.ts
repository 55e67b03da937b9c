// The Transport between processes: one listener for inbound connections and one outbound PeerLink
// per peer (so each pair of nodes holds two one-way connections, as etcd's stream transport does).
// Mutual TLS binds each connection to a node id (CN=node-<id>); plain TCP exists for comparison
// and for networks that are already private. A peer's process dying closes its sockets, which we
// report through onPeerDown at once: the driver turns that into a fast election.

import net from 'node:net';
import tls from 'node:tls';
import { type Logger, silentLogger } from '../node/logger.ts';
import type { Message, NodeId, Transport } from '../types.ts';
import type { SnapshotStatus, TransportFeedback } from './feedback.ts';
import {
  ChunkAssembler,
  decodeHello,
  encodeChunks,
  encodeFrame,
  FRAME_CHUNK,
  FRAME_HELLO,
  FRAME_MESSAGE,
  FrameDecoder,
} from './frame.ts';
import { decodeMessage, encodeMessage } from './message-codec.ts';
import { nodeIdOfCertificate } from './peer-identity.ts';
import { type LinkStats, PeerLink, parseAddress, type TlsCredentials } from './peer-link.ts';

export interface TcpTransportOptions {
  readonly id: NodeId;
  /** host:port to listen on (port 0 picks one; read it back from `address`). */
  readonly listen: string;
  /** Mutual TLS; plain TCP when absent. */
  readonly tls?: TlsCredentials;
  /** Messages whose encoding is larger than this are sent as chunks of this size. Default 256 KiB. */
  readonly chunkBytes?: number;
  /** Per peer, frames kept while its connection is down or slow. Default 4096. */
  readonly maxQueuedFrames?: number;
  /** Largest reassembled message accepted. Default 1 GiB. */
  readonly maxMessageBytes?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly logger?: Logger;
}

export interface TcpTransport extends Transport, TransportFeedback {
  /** The address actually listened on. */
  readonly address: { host: string; port: number };
  /** Counters per peer (outbound). */
  stats(): Map<NodeId, LinkStats & { established: boolean }>;
}

interface PeerState {
  link: PeerLink;
  readonly address: string;
  /** Whether some connection with the peer is up and its drop has not been reported yet. */
  up: boolean;
}

/** Starts listening and returns the transport once the listener is bound. */
export async function createTcpTransport(options: TcpTransportOptions): Promise<TcpTransport> {
  const self = options.id;
  const logger = options.logger ?? silentLogger;
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const maxQueuedFrames = options.maxQueuedFrames ?? 4096;
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024 * 1024;
  const backoffMinMs = options.backoffMinMs ?? 25;
  const backoffMaxMs = options.backoffMaxMs ?? 1000;
  const peers = new Map<NodeId, PeerState>();
  const inbound = new Set<net.Socket>();
  let messageHandler: ((message: Message) => void) | undefined;
  let peerDownHandler: ((peer: NodeId) => void) | undefined;
  let snapshotHandler: ((peer: NodeId, status: SnapshotStatus) => void) | undefined;
  let unreachableHandler: ((peer: NodeId) => void) | undefined;
  /** Last time each peer was reported unreachable: once per 100 ms is plenty for the leader. */
  const unreachableAt = new Map<NodeId, number>();
  let closed = false;
  let nextStream = 1;

  const markUp = (peer: NodeId): void => {
    const state = peers.get(peer);
    if (state) state.up = true;
  };
  const markDown = (peer: NodeId): void => {
    const state = peers.get(peer);
    // Both connections with a dead peer close; report the first only.
    if (closed || !state || !state.up) return;
    state.up = false;
    logger.info('peer connection lost', { peer });
    peerDownHandler?.(peer);
  };

  const reportUnreachable = (peer: NodeId): void => {
    const now = performance.now();
    if (now - (unreachableAt.get(peer) ?? -Infinity) < 100) return;
    unreachableAt.set(peer, now);
    unreachableHandler?.(peer);
  };

  const handleInbound = (socket: net.Socket, certifiedId: NodeId | undefined): void => {
    inbound.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    const assembler = new ChunkAssembler(maxMessageBytes);
    let from: NodeId | undefined;
    const deliver = (bytes: Uint8Array): void => {
      const message = decodeMessage(bytes);
      // A peer speaks only for itself: a message claiming another sender is dropped.
      if (message.from !== from || message.to !== self) {
        logger.warn('dropping message with a forged or misrouted header', {
          peer: from,
          claimed: message.from,
        });
        return;
      }
      messageHandler?.(message);
    };
    socket.on('data', (data: Buffer) => {
      try {
        for (const frame of decoder.push(data)) {
          if (from === undefined) {
            if (frame.kind !== FRAME_HELLO) throw new Error('first frame is not a hello');
            const hello = decodeHello(frame.payload);
            if (hello.to !== self) throw new Error(`dialer meant node ${hello.to}, this is node ${self}`);
            if (certifiedId !== undefined && certifiedId !== hello.from) {
              throw new Error(`certificate names node ${certifiedId} but hello claims ${hello.from}`);
            }
            from = hello.from;
            markUp(from);
          } else if (frame.kind === FRAME_MESSAGE) {
            deliver(frame.payload);
          } else if (frame.kind === FRAME_CHUNK) {
            const whole = assembler.push(frame.payload);
            if (whole) deliver(whole);
          } else {
            throw new Error(`unexpected frame kind ${frame.kind}`);
          }
        }
      } catch (error) {
        logger.warn('closing inbound connection', { peer: from, error: (error as Error).message });
        socket.destroy();
      }
    });
    socket.on('error', (error) =>
      logger.debug('inbound connection error', { peer: from, error: error.message }),
    );
    socket.once('close', () => {
      inbound.delete(socket);
      if (from !== undefined) markDown(from);
    });
  };

  let server: net.Server;
  if (options.tls) {
    server = tls.createServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        ca: options.tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        const id = nodeIdOfCertificate(socket.getPeerCertificate());
        if (id === undefined) {
          logger.warn('rejecting TLS peer whose certificate CN is not node-<id>');
          socket.destroy();
          return;
        }
        handleInbound(socket, id);
      },
    );
    server.on('tlsClientError', (error) => logger.warn('TLS handshake failed', { error: error.message }));
  } else {
    server = net.createServer((socket) => handleInbound(socket, undefined));
  }
  const { host, port } = parseAddress(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error('listener error', { error: error.message }));
  const bound = server.address() as net.AddressInfo;

  const transport: TcpTransport = {
    address: { host: bound.address, port: bound.port },
    send(messages) {
      if (closed) return;
      for (const message of messages) {
        const peer = message.to;
        const state = peers.get(peer);
        if (!state) continue;
        if (!state.link.established) reportUnreachable(peer);
        const bytes = encodeMessage(message);
        if (bytes.length <= chunkBytes) {
          if (!state.link.enqueue(encodeFrame(FRAME_MESSAGE, bytes))) reportUnreachable(peer);
        } else {
          const isSnapshot = message.type === 'snap';
          state.link.enqueueLarge(encodeChunks(nextStream++, bytes, chunkBytes), (delivered) => {
            if (closed) return;
            if (isSnapshot) snapshotHandler?.(peer, delivered ? 'finish' : 'failure');
            else if (!delivered) reportUnreachable(peer);
          });
        }
      }
    },
    onMessage(handler) {
      messageHandler = handler;
    },
    onPeerDown(handler) {
      peerDownHandler = handler;
    },
    onSnapshotStatus(handler) {
      snapshotHandler = handler;
    },
    onUnreachable(handler) {
      unreachableHandler = handler;
    },
    addPeer(id, address) {
      if (closed || id === self) return;
      const existing = peers.get(id);
      // The driver names every member again after each membership change: re-dialling a peer
      // whose address did not change would drop a live link, and a follower that sees its
      // leader's link drop takes it for dead and campaigns at once (fast failover).
      if (existing?.address === address) return;
      if (existing) existing.link.close();
      const state: PeerState = {
        address,
        up: false,
        link: new PeerLink({
          self,
          peer: id,
          address,
          tls: options.tls,
          maxQueuedFrames,
          maxQueuedLarge: 2,
          backoffMinMs,
          backoffMaxMs,
          logger,
          onEstablished: () => markUp(id),
          onLost: () => markDown(id),
        }),
      };
      peers.set(id, state);
    },
    removePeer(id) {
      peers.get(id)?.link.close();
      peers.delete(id);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const state of peers.values()) state.link.close();
      peers.clear();
      for (const socket of inbound) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    stats() {
      const out = new Map<NodeId, LinkStats & { established: boolean }>();
      for (const [id, state] of peers)
        out.set(id, { ...state.link.stats, established: state.link.established });
      return out;
    },
  };
  return transport;
}
