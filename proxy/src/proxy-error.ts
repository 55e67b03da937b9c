export type ProxyErrorKind = 'Unavailable' | 'Invalid' | 'Conflict';

/** A proxy failure with a kind to branch on and a message that says what to do. */
export class ProxyError extends Error {
  readonly kind: ProxyErrorKind;

  constructor(kind: ProxyErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.kind = kind;
  }
}

/** Turns a bind failure into advice: which address, and why it usually happens. */
export function bindError(what: string, err: unknown): ProxyError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new ProxyError(
      'Conflict',
      `${what} is already in use; another process or Service holds that port`,
      {
        cause: err,
      },
    );
  }
  if (code === 'EADDRNOTAVAIL') {
    return new ProxyError(
      'Unavailable',
      `${what}: address not on this node; bind ClusterIPs on a dummy interface (needs CAP_NET_ADMIN) or use a 127.0.0.0/8 service range`,
      { cause: err },
    );
  }
  if (code === 'EACCES') {
    return new ProxyError(
      'Unavailable',
      `${what}: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)`,
      {
        cause: err,
      },
    );
  }
  return new ProxyError('Unavailable', `${what}: ${String(err)}`, { cause: err });
}
