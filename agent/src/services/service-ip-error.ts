export type ServiceIpErrorKind = 'Invalid' | 'Conflict' | 'Exhausted' | 'Unavailable';

/** A ClusterIP allocation or binding failure, with a kind to branch on and what to do about it. */
export class ServiceIpError extends Error {
  readonly kind: ServiceIpErrorKind;

  constructor(kind: ServiceIpErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceIpError';
    this.kind = kind;
  }
}
