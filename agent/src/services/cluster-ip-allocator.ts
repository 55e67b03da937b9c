import { formatIpv4, type Ipv4Range, parseCidr, parseIpv4, rangeContains } from './ipv4.ts';
import { ServiceIpError } from './service-ip-error.ts';

/** A Service that already holds a ClusterIP, as the store records it. */
export interface ServiceIpClaim {
  /** `<namespace>/<name>`. */
  readonly service: string;
  readonly clusterIP: string;
}

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

const MIN_PREFIX = 12; // 2^20 addresses: Kubernetes' own ceiling for an IPv4 service range
const MAX_PREFIX = 30;

/**
 * Hands out one ClusterIP per Service from a CIDR, as kube-apiserver's bitmap allocator does.
 *
 * - Idempotent: asking again for the same Service returns the address it holds.
 * - Never hands out an address in use: one bit per address; the network and broadcast addresses are
 *   never handed out.
 * - Dynamic picks come from the upper part of the range first (KEP-3070), so a user who asks for a
 *   specific low address (a DNS Service at .10, say) rarely collides with an automatic one; and
 *   they go round with a cursor (next fit) so a just-released address is not reused at once,
 *   while clients may still have it in DNS caches or conntrack.
 * - Rebuilt from the stored Services (fromServices) after a restart or a leader change: the bitmap
 *   is a cache of what the store says, not a second source of truth.
 */
export class ClusterIpAllocator {
  readonly range: Ipv4Range;
  readonly #bits: Uint8Array;
  readonly #byService = new Map<string, number>();
  readonly #byOffset = new Map<number, string>();
  /** First offset of the dynamic band; offsets below it are the static band. */
  readonly #dynamicStart: number;
  #cursor: number;

  private constructor(range: Ipv4Range) {
    this.range = range;
    this.#bits = new Uint8Array(Math.ceil(range.size / 8));
    // Kubernetes: static band = min(max(16, size/16), 256) addresses at the bottom.
    this.#dynamicStart = Math.min(Math.max(16, Math.floor(range.size / 16)), 256);
    if (this.#dynamicStart >= this.#lastUsable()) this.#dynamicStart = 1;
    this.#cursor = this.#dynamicStart;
  }

  /** An empty allocator over `cidr` (default 10.96.0.0/16), or why the range is unusable. */
  static create(cidr: string = DEFAULT_SERVICE_CIDR): ClusterIpAllocator | ServiceIpError {
    const range = parseCidr(cidr);
    if (typeof range === 'string') return new ServiceIpError('Invalid', range);
    if (range.prefixLength < MIN_PREFIX || range.prefixLength > MAX_PREFIX)
      return new ServiceIpError(
        'Invalid',
        `service range ${cidr} must be between /${MIN_PREFIX} and /${MAX_PREFIX}; pick a range like 10.96.0.0/16`,
      );
    return new ClusterIpAllocator(range);
  }

  /**
   * An allocator that knows every address the stored Services hold. Claims that cannot be honoured
   * (outside the range, or an address two Services both hold) come back as problems for the
   * operator; the first holder keeps a duplicated address.
   */
  static fromServices(
    cidr: string,
    claims: readonly ServiceIpClaim[],
  ): { allocator: ClusterIpAllocator; problems: ServiceIpError[] } | ServiceIpError {
    const allocator = ClusterIpAllocator.create(cidr);
    if (allocator instanceof ServiceIpError) return allocator;
    const problems: ServiceIpError[] = [];
    for (const c of claims) {
      if (c.clusterIP === '' || c.clusterIP === 'None') continue;
      const got = allocator.allocate(c.service, c.clusterIP);
      if (got instanceof ServiceIpError) problems.push(got);
    }
    return { allocator, problems };
  }

  /**
   * The ClusterIP for `service`: the one it holds, else `requested` if given and free, else the next
   * free one. 'None' (headless) allocates nothing and returns 'None'.
   */
  allocate(service: string, requested?: string): string | ServiceIpError {
    if (requested === 'None') return 'None';
    const held = this.#byService.get(service);
    if (held !== undefined) {
      const ip = formatIpv4(this.range.base + held);
      if (requested && requested !== ip)
        return new ServiceIpError(
          'Conflict',
          `Service ${service} already holds ClusterIP ${ip}; a ClusterIP cannot change (delete and recreate the Service to move it)`,
        );
      return ip;
    }
    if (requested) return this.#claim(service, requested);
    const offset = this.#findFree();
    if (offset === undefined)
      return new ServiceIpError(
        'Exhausted',
        `no free ClusterIP left in ${this.range.cidr} (${this.used()} in use); delete unused Services or widen the service range`,
      );
    this.#take(service, offset);
    this.#cursor = offset + 1;
    return formatIpv4(this.range.base + offset);
  }

  /** Frees the Service's address; returns it, or undefined if the Service held none. */
  release(service: string): string | undefined {
    const offset = this.#byService.get(service);
    if (offset === undefined) return undefined;
    this.#byService.delete(service);
    this.#byOffset.delete(offset);
    this.#bits[offset >> 3]! &= ~(1 << (offset & 7));
    return formatIpv4(this.range.base + offset);
  }

  /** Which Service holds `ip`, if any. */
  holder(ip: string): string | undefined {
    const n = parseIpv4(ip);
    return n === undefined ? undefined : this.#byOffset.get(n - this.range.base);
  }

  used(): number {
    return this.#byService.size;
  }

  /** Addresses that can still be handed out. */
  free(): number {
    return this.#lastUsable() - this.used();
  }

  #claim(service: string, requested: string): string | ServiceIpError {
    const n = parseIpv4(requested);
    if (n === undefined)
      return new ServiceIpError('Invalid', `ClusterIP "${requested}" of ${service} is not an IPv4 address`);
    const offset = n - this.range.base;
    if (!rangeContains(this.range, n) || offset === 0 || offset > this.#lastUsable()) {
      return new ServiceIpError(
        'Invalid',
        `ClusterIP ${requested} of ${service} is not a usable address of the service range ${this.range.cidr}; leave spec.clusterIP empty to get one`,
      );
    }
    const holder = this.#byOffset.get(offset);
    if (holder !== undefined)
      return new ServiceIpError(
        'Conflict',
        `ClusterIP ${requested} is already held by Service ${holder}; leave spec.clusterIP empty to get a free one`,
      );
    this.#take(service, offset);
    return requested;
  }

  #take(service: string, offset: number): void {
    this.#bits[offset >> 3]! |= 1 << (offset & 7);
    this.#byService.set(service, offset);
    this.#byOffset.set(offset, service);
  }

  #isSet(offset: number): boolean {
    return (this.#bits[offset >> 3]! & (1 << (offset & 7))) !== 0;
  }

  /** Offsets 1..lastUsable are handed out (0 is the network address, size-1 the broadcast). */
  #lastUsable(): number {
    return this.range.size - 2;
  }

  /** Next fit from the cursor through the dynamic band, then the static band. */
  #findFree(): number | undefined {
    const last = this.#lastUsable();
    const start = this.#dynamicStart;
    const from = this.#cursor >= start && this.#cursor <= last ? this.#cursor : start;
    for (let o = from; o <= last; o++) if (!this.#isSet(o)) return o;
    for (let o = start; o < from; o++) if (!this.#isSet(o)) return o;
    for (let o = 1; o < start; o++) if (!this.#isSet(o)) return o;
    return undefined;
  }
}
