// Binds a Raft node id to a TLS certificate: node <id> must present a certificate whose subject
// CN is `node-<id>`, signed by the cluster's CA. A stolen address is then useless without the key.

import type { PeerCertificate } from 'node:tls';
import type { NodeId } from '../types.ts';

/** The CN a node's certificate must carry. */
export function certificateName(id: NodeId): string {
  return `node-${id}`;
}

/** The node id a certificate names, or undefined when its CN is not of the form node-<id>. */
export function nodeIdOfCertificate(cert: PeerCertificate | undefined): NodeId | undefined {
  const cn = cert?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (typeof name !== 'string') return undefined;
  const match = /^node-([1-9][0-9]*)$/.exec(name);
  if (!match?.[1]) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}
