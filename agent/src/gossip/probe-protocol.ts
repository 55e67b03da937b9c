import type { Libp2p, PeerId, Stream } from '@libp2p/interface';
import { GossipError } from './gossip-error.ts';
import type { ProbeTransport } from './swim-prober.ts';

/**
 * SWIM's probes over libp2p streams (one short stream per probe, on the member's existing
 * connection when there is one):
 *
 *   ping      /kedge/swim/ping/1.0.0      {"suspect"?: incarnation}  ->  {"incarnation": n}
 *   ping-req  /kedge/swim/ping-req/1.0.0  {"target", "timeoutMs"}     ->  1 (ack) | 0 (nack)
 *
 * A ping to a member we suspect carries the suspicion (Lifeguard's buddy system): the member hears
 * it straight away, refutes, and its answer carries the raised incarnation, which clears the
 * suspicion at the prober at once, before any gossip round.
 */
export const PING_PROTOCOL = '/kedge/swim/ping/1.0.0';
export const PING_REQ_PROTOCOL = '/kedge/swim/ping-req/1.0.0';

/** A helper answers "no" within this share of the requested timeout, so the requester gets its nack in time. */
const NACK_SHARE = 0.8;
const MAX_HELPER_TIMEOUT_MS = 10_000;

export interface ProbeProtocolDeps {
  readonly libp2p: Libp2p;
  /** The peer id of a cluster member; a GossipError if the node is not in the member list. */
  readonly peerOf: (nodeId: string) => PeerId | GossipError;
  /**
   * We were pinged; `suspectedAt` is set when the prober suspects us (buddy system). Returns our
   * incarnation after refuting, if we had to.
   */
  readonly onPinged: (suspectedAt: number | undefined) => number;
}

/** Serves both protocols and implements ProbeTransport over them. */
export class ProbeProtocol implements ProbeTransport {
  readonly #d: ProbeProtocolDeps;

  constructor(deps: ProbeProtocolDeps) {
    this.#d = deps;
  }

  async handle(): Promise<void> {
    await this.#d.libp2p.handle(PING_PROTOCOL, (stream) => this.#servePing(stream));
    await this.#d.libp2p.handle(PING_REQ_PROTOCOL, (stream) => this.#servePingReq(stream));
  }

  async ping(nodeId: string, signal: AbortSignal, suspectedAt?: number): Promise<number> {
    const body = suspectedAt === undefined ? {} : { suspect: suspectedAt };
    const answer = await this.#request(nodeId, PING_PROTOCOL, encodeJson(body), signal);
    if (answer.length === 0)
      throw new GossipError('Unavailable', `${nodeId} closed the ping without answering`);
    const parsed = decodeJson(answer) as { incarnation?: unknown } | undefined;
    if (typeof parsed?.incarnation !== 'number' || !Number.isSafeInteger(parsed.incarnation)) {
      throw new GossipError(
        'Invalid',
        `ping answer from ${nodeId} has no incarnation; is it a foreign agent version?`,
      );
    }
    return parsed.incarnation;
  }

  async pingThrough(
    helper: string,
    target: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const answer = await this.#request(helper, PING_REQ_PROTOCOL, encodeJson({ target, timeoutMs }), signal);
    if (answer.length !== 1)
      throw new GossipError('Invalid', `ping-req answer from ${helper} is not one byte`);
    return answer[0] === 1;
  }

  /** One request, one answer: send, half-close, collect until the other side closes. */
  async #request(
    nodeId: string,
    protocol: string,
    body: Uint8Array,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const peer = this.#d.peerOf(nodeId);
    if (peer instanceof GossipError) throw peer;
    const stream = await this.#d.libp2p.dialProtocol(peer, protocol, { signal });
    try {
      // Both awaited together: when the close fails (the timeout fired mid-close), the read's own
      // rejection must not be left unhandled, which would take the whole agent down.
      const [answer] = await Promise.all([
        readAll(stream, signal),
        (async () => {
          stream.send(body);
          await stream.close({ signal });
        })(),
      ]);
      return answer;
    } finally {
      if (stream.status === 'open') stream.abort(new Error('probe done'));
    }
  }

  async #servePing(stream: Stream): Promise<void> {
    const bytes = await readRequest(stream);
    if (bytes === undefined) return;
    const request = decodeJson(bytes) as { suspect?: unknown } | undefined;
    const suspect = request?.suspect;
    const incarnation = this.#d.onPinged(
      typeof suspect === 'number' && Number.isSafeInteger(suspect) ? suspect : undefined,
    );
    await answer(stream, encodeJson({ incarnation }));
  }

  async #servePingReq(stream: Stream): Promise<void> {
    const bytes = await readRequest(stream);
    if (bytes === undefined) return;
    const request = decodeJson(bytes) as { target?: unknown; timeoutMs?: unknown } | undefined;
    const timeoutMs =
      typeof request?.timeoutMs === 'number' ? Math.min(request.timeoutMs, MAX_HELPER_TIMEOUT_MS) : 300;
    let ok = false;
    if (typeof request?.target === 'string') {
      try {
        await this.ping(request.target, AbortSignal.timeout(timeoutMs * NACK_SHARE));
        ok = true;
      } catch {
        // The target did not answer us either (or is no member): that is the "no" the requester asked for.
        ok = false;
      }
    }
    await answer(stream, Uint8Array.of(ok ? 1 : 0));
  }
}

/**
 * A probe request, or undefined when the prober gave up before sending it all (its timeout fired
 * and it reset the stream): nobody is left to answer, which is routine under load.
 */
async function readRequest(stream: Stream): Promise<Uint8Array | undefined> {
  try {
    const bytes = await readAll(stream, AbortSignal.timeout(MAX_HELPER_TIMEOUT_MS));
    return bytes.length > 0 ? bytes : undefined;
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
    return undefined;
  }
}

/** Sends the answer and closes; a prober that reset the stream meanwhile (it timed out) gets none. */
async function answer(stream: Stream, bytes: Uint8Array): Promise<void> {
  try {
    stream.send(bytes);
    await stream.close();
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)));
  }
}

/** Everything the other side sends until it closes its end; rejects on abort or reset. */
function readAll(stream: Stream, signal: AbortSignal): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const done = () => resolve(Buffer.concat(chunks));
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.addEventListener('message', (evt) => chunks.push(evt.data.subarray()));
    stream.addEventListener('remoteCloseWrite', done, { once: true });
    stream.addEventListener(
      'close',
      (evt) => {
        signal.removeEventListener('abort', onAbort);
        if (evt.error) reject(evt.error);
        else done();
      },
      { once: true },
    );
  });
}

function encodeJson(value: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // A malformed request is answered like an empty one (a plain ping); say so once per occurrence.
    console.warn(`kedge gossip: malformed probe message (${String(err)})`);
    return undefined;
  }
}
