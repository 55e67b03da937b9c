import type { EndpointEntry, OriginState, Protocol } from '@kedge/proxy';
import { GossipError } from './gossip-error.ts';
import type { MemberUpdate } from './membership.ts';

/**
 * What travels on the gossip topics, as JSON. Every message is signed by its sender's libp2p key
 * (gossipsub StrictSign), so the receiver checks that an origin announces only its own entries.
 */
export type GossipMessage =
  /** An origin's entry set changed (delta) or is re-announced periodically (full: anti-entropy). */
  | { readonly type: 'endpoints'; readonly full: boolean; readonly state: OriginState }
  /** Membership news (SWIM): alive/suspect/dead with incarnations; `digest` carries the sender's whole view. */
  | { readonly type: 'members'; readonly digest: boolean; readonly updates: readonly MemberUpdate[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMessage(message: GossipMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Parses and validates a message from the wire; a malformed one is an Invalid error, never a throw. */
export function decodeMessage(bytes: Uint8Array): GossipMessage | GossipError {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    return new GossipError(
      'Invalid',
      `gossip message is not JSON (${String(err)}); is a foreign agent version on the topic?`,
    );
  }
  if (!isRecord(raw)) return invalid('gossip message is not an object');
  if (raw.type === 'endpoints') {
    const state = parseOriginState(raw.state);
    if (state instanceof GossipError) return state;
    return { type: 'endpoints', full: raw.full === true, state };
  }
  if (raw.type === 'members') {
    if (!Array.isArray(raw.updates)) return invalid('members message without updates');
    const updates: MemberUpdate[] = [];
    for (const u of raw.updates) {
      const parsed = parseMemberUpdate(u);
      if (parsed instanceof GossipError) return parsed;
      updates.push(parsed);
    }
    return { type: 'members', digest: raw.digest === true, updates };
  }
  return invalid(`unknown gossip message type ${JSON.stringify(raw.type)}`);
}

/** Validates one origin's announcement (from the wire or from the persisted table). */
export function parseOriginState(raw: unknown): OriginState | GossipError {
  if (!isRecord(raw)) return invalid('origin state is not an object');
  const { nodeId, incarnation, sequence, entries } = raw;
  if (typeof nodeId !== 'string' || nodeId === '') return invalid('origin state without nodeId');
  if (!isCount(incarnation) || !isCount(sequence))
    return invalid(`origin ${nodeId}: bad incarnation/sequence`);
  if (!Array.isArray(entries)) return invalid(`origin ${nodeId}: entries is not a list`);
  const out: EndpointEntry[] = [];
  for (const e of entries) {
    const entry = parseEntry(e);
    if (entry instanceof GossipError) return invalid(`origin ${nodeId}: ${entry.message}`);
    out.push(entry);
  }
  return { nodeId, incarnation, sequence, entries: out };
}

function parseEntry(raw: unknown): EndpointEntry | GossipError {
  if (!isRecord(raw)) return invalid('endpoint is not an object');
  const { namespace, service, portName, ip, port, protocol, ready, podName, hostname, subdomain } = raw;
  if (typeof namespace !== 'string' || typeof service !== 'string' || typeof portName !== 'string') {
    return invalid('endpoint without namespace/service/portName');
  }
  if (typeof ip !== 'string' || !isCount(port) || port > 65535)
    return invalid(`endpoint ${service}: bad ip/port`);
  if (protocol !== 'TCP' && protocol !== 'UDP')
    return invalid(`endpoint ${service}: protocol must be TCP or UDP`);
  if (typeof ready !== 'boolean') return invalid(`endpoint ${service}: ready must be a boolean`);
  const entry: {
    -readonly [K in keyof EndpointEntry]: EndpointEntry[K];
  } = { namespace, service, portName, ip, port, protocol: protocol as Protocol, ready };
  if (typeof podName === 'string') entry.podName = podName;
  if (typeof hostname === 'string') entry.hostname = hostname;
  if (typeof subdomain === 'string') entry.subdomain = subdomain;
  return entry;
}

function parseMemberUpdate(raw: unknown): MemberUpdate | GossipError {
  if (!isRecord(raw)) return invalid('member update is not an object');
  const { nodeId, status, incarnation } = raw;
  if (typeof nodeId !== 'string' || nodeId === '') return invalid('member update without nodeId');
  if (status !== 'alive' && status !== 'suspect' && status !== 'dead') {
    return invalid(`member ${nodeId}: status must be alive, suspect or dead`);
  }
  if (!isCount(incarnation)) return invalid(`member ${nodeId}: bad incarnation`);
  return { nodeId, status, incarnation };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function invalid(message: string): GossipError {
  return new GossipError('Invalid', message);
}
