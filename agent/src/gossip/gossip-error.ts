export type GossipErrorKind = 'Invalid' | 'Unavailable' | 'Denied' | 'NotFound';

/** A gossip failure, with a kind to branch on and a message that says what to do about it. */
export class GossipError extends Error {
  readonly kind: GossipErrorKind;

  constructor(kind: GossipErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GossipError';
    this.kind = kind;
  }
}
