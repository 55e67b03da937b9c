import type { ConnectionGater, PeerId } from '@libp2p/interface';

/**
 * Admits only cluster members: a peer whose id (derived from its node key, proven by the Noise
 * handshake) is not in the member list is refused before any protocol runs, inbound or outbound.
 */
export class ClusterGater implements ConnectionGater {
  #allowed: ReadonlySet<string>;
  /** Refusals, for the operator: a growing count means someone outside the cluster keeps knocking. */
  denied = 0;

  constructor(allowedPeerIds: Iterable<string>) {
    this.#allowed = new Set(allowedPeerIds);
  }

  setAllowed(peerIds: Iterable<string>): void {
    this.#allowed = new Set(peerIds);
  }

  isAllowed(peerId: PeerId | string): boolean {
    return this.#allowed.has(peerId.toString());
  }

  #deny(peerId: PeerId): boolean {
    const deny = !this.isAllowed(peerId);
    if (deny) this.denied++;
    return deny;
  }

  denyDialPeer = (peerId: PeerId): boolean => this.#deny(peerId);
  denyInboundEncryptedConnection = (peerId: PeerId): boolean => this.#deny(peerId);
  denyOutboundEncryptedConnection = (peerId: PeerId): boolean => this.#deny(peerId);
}
