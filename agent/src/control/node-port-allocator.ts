import { ServiceIpError } from '../services/service-ip-error.ts';

/** The NodePort range (Kubernetes' default, --service-node-port-range). */
export interface NodePortRange {
  readonly first: number;
  readonly last: number;
}

export const DEFAULT_NODE_PORT_RANGE: NodePortRange = { first: 30000, last: 32767 };

/** A Service's NodePort as the store records it. */
export interface NodePortClaim {
  /** `<namespace>/<name>`. */
  readonly service: string;
  readonly nodePort: number;
}

/**
 * Hands out NodePorts from a range, as kube-apiserver's port allocator does: a port belongs to one
 * Service (which may use it for both TCP and UDP, as Kubernetes allows); asking again for a port the
 * same Service holds is idempotent. Automatic picks go round with a cursor (next fit), so a port
 * just released is not handed out again at once while clients may still use it.
 */
export class NodePortAllocator {
  readonly range: NodePortRange;
  readonly #holder = new Map<number, string>();
  #cursor: number;

  constructor(range: NodePortRange = DEFAULT_NODE_PORT_RANGE) {
    this.range = range;
    this.#cursor = range.first;
  }

  /** An allocator that knows the stored Services' ports; ports two Services both hold are problems. */
  static fromServices(
    range: NodePortRange,
    claims: readonly NodePortClaim[],
  ): { allocator: NodePortAllocator; problems: ServiceIpError[] } {
    const allocator = new NodePortAllocator(range);
    const problems: ServiceIpError[] = [];
    for (const c of claims) {
      const got = allocator.allocate(c.service, c.nodePort);
      if (got instanceof ServiceIpError) problems.push(got);
    }
    return { allocator, problems };
  }

  /** `requested` if it is in range and free (or already this Service's), else the next free port. */
  allocate(service: string, requested?: number): number | ServiceIpError {
    if (requested !== undefined && requested !== 0) {
      if (!Number.isInteger(requested) || requested < this.range.first || requested > this.range.last)
        return new ServiceIpError(
          'Invalid',
          `provided port is not in the valid range. The range of valid ports is ${this.range.first}-${this.range.last}`,
        );
      const holder = this.#holder.get(requested);
      if (holder !== undefined && holder !== service)
        return new ServiceIpError('Conflict', 'provided port is already allocated');
      this.#holder.set(requested, service);
      return requested;
    }
    const size = this.range.last - this.range.first + 1;
    for (let i = 0; i < size; i++) {
      const port = this.range.first + ((this.#cursor - this.range.first + i) % size);
      if (this.#holder.has(port)) continue;
      this.#holder.set(port, service);
      this.#cursor = port === this.range.last ? this.range.first : port + 1;
      return port;
    }
    return new ServiceIpError(
      'Exhausted',
      `no free NodePort left in ${this.range.first}-${this.range.last}; delete unused NodePort Services or widen the range`,
    );
  }

  /** Frees every port of `service`; returns them. */
  release(service: string): number[] {
    const freed: number[] = [];
    for (const [port, holder] of this.#holder)
      if (holder === service) {
        this.#holder.delete(port);
        freed.push(port);
      }
    return freed;
  }

  /** Frees one port if `service` holds it. */
  releasePort(service: string, port: number): void {
    if (this.#holder.get(port) === service) this.#holder.delete(port);
  }

  holder(port: number): string | undefined {
    return this.#holder.get(port);
  }

  portsOf(service: string): number[] {
    return [...this.#holder].filter(([, s]) => s === service).map(([p]) => p);
  }
}
