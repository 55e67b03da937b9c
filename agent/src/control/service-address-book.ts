/**
 * Which ClusterIP and NodePorts each Service holds (pure): the leader's cache of what the stored
 * Services say, plus what it has granted since. A request is derived from the Service being
 * written; the grant is written into it before the API proposes it through Raft.
 *
 *   Service ──requestOf──> AddressRequest ──book.grant──> AddressGrant ──withGrant──> Service to propose
 *   Service deleted ──book.release(key)
 *   leadership / repair ──ServiceAddressBook.fromServices(stored Services)
 */
import { invalid, makeStatus, StatusError } from '../api/errors.ts';
import type { FieldError } from '../api/field-errors.ts';
import type { Service } from '../api/types/core.ts';
import { ClusterIpAllocator, DEFAULT_SERVICE_CIDR } from '../services/cluster-ip-allocator.ts';
import { ServiceIpError } from '../services/service-ip-error.ts';
import { DEFAULT_NODE_PORT_RANGE, NodePortAllocator, type NodePortRange } from './node-port-allocator.ts';

export interface ServiceAddressConfig {
  /** The ClusterIP range (default 10.96.0.0/16). */
  readonly serviceCidr: string;
  readonly nodePorts: NodePortRange;
}

export const defaultServiceAddressConfig: ServiceAddressConfig = {
  serviceCidr: DEFAULT_SERVICE_CIDR,
  nodePorts: DEFAULT_NODE_PORT_RANGE,
};

/** What one Service needs: a ClusterIP (requested or any) and NodePorts per port index. */
export interface AddressRequest {
  /** `<namespace>/<name>`. */
  readonly service: string;
  readonly name: string;
  /** Absent: no ClusterIP (headless, ExternalName). '' asks for any address. */
  readonly clusterIP?: string;
  /** One entry per spec.ports index when the type opens NodePorts (0: any port). */
  readonly nodePorts: readonly number[];
}

export interface AddressGrant {
  readonly clusterIP?: string;
  readonly nodePorts: readonly number[];
  /** The Service held nothing before this grant (so a failed write should give it back). */
  readonly fresh: boolean;
}

const serviceKeyOf = (s: Service) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`;

/** What `service` needs allocated; undefined when nothing (ExternalName, headless without NodePorts). */
export function requestOf(service: Service): AddressRequest | undefined {
  const spec = service.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') return undefined;
  const headless = spec.clusterIP === 'None';
  const opensNodePorts = type === 'NodePort' || type === 'LoadBalancer';
  const nodePorts = opensNodePorts ? (spec.ports ?? []).map((p) => p.nodePort ?? 0) : [];
  if (headless && nodePorts.length === 0) return undefined;
  return {
    service: serviceKeyOf(service),
    name: service.metadata.name ?? '',
    ...(headless ? {} : { clusterIP: spec.clusterIP ?? '' }),
    nodePorts,
  };
}

/** The Service with the grant written in (spec.clusterIP, spec.clusterIPs, ports[i].nodePort). */
export function withGrant(service: Service, grant: AddressGrant): Service {
  const spec = { ...service.spec };
  if (grant.clusterIP !== undefined) {
    spec.clusterIP = grant.clusterIP;
    spec.clusterIPs = [grant.clusterIP];
  }
  if (grant.nodePorts.length > 0)
    spec.ports = (spec.ports ?? []).map((p, i) =>
      grant.nodePorts[i] !== undefined ? { ...p, nodePort: grant.nodePorts[i] } : p,
    );
  return { ...service, spec };
}

export class ServiceAddressBook {
  readonly config: ServiceAddressConfig;
  readonly #ips: ClusterIpAllocator;
  readonly #ports: NodePortAllocator;
  /** Services that hold a ClusterIP or a NodePort. */
  readonly #holders: Set<string>;

  private constructor(
    config: ServiceAddressConfig,
    ips: ClusterIpAllocator,
    ports: NodePortAllocator,
    holders: Iterable<string>,
  ) {
    this.config = config;
    this.#ips = ips;
    this.#ports = ports;
    this.#holders = new Set(holders);
  }

  /**
   * A book that knows every address the stored Services hold. Conflicting claims (two Services on
   * one address, an address outside the range) are problems for the operator: the first keeps it.
   */
  static fromServices(
    config: ServiceAddressConfig,
    services: readonly Service[],
  ): { book: ServiceAddressBook; problems: string[] } | ServiceIpError {
    const ips = ClusterIpAllocator.fromServices(
      config.serviceCidr,
      services.map((s) => ({ service: serviceKeyOf(s), clusterIP: s.spec?.clusterIP ?? '' })),
    );
    if (ips instanceof ServiceIpError) return ips;
    const ports = NodePortAllocator.fromServices(
      config.nodePorts,
      services.flatMap((s) =>
        (s.spec?.ports ?? [])
          .filter((p) => p.nodePort !== undefined && p.nodePort !== 0)
          .map((p) => ({ service: serviceKeyOf(s), nodePort: p.nodePort as number })),
      ),
    );
    const problems = [...ips.problems, ...ports.problems].map((p) => p.message);
    const holders = services
      .filter((s) => {
        const ip = s.spec?.clusterIP ?? '';
        return (ip !== '' && ip !== 'None') || (s.spec?.ports ?? []).some((p) => (p.nodePort ?? 0) !== 0);
      })
      .map(serviceKeyOf);
    return { book: new ServiceAddressBook(config, ips.allocator, ports.allocator, holders), problems };
  }

  /** Grants what the request needs, all or nothing; a refusal is the API's Invalid/InternalError. */
  grant(request: AddressRequest): AddressGrant | StatusError {
    const fresh = !this.#holders.has(request.service);
    const portsBefore = new Set(this.#ports.portsOf(request.service));
    const causes: FieldError[] = [];
    const exhausted: string[] = [];
    let clusterIP: string | undefined;
    if (request.clusterIP !== undefined) {
      const got = this.#ips.allocate(request.service, request.clusterIP || undefined);
      if (got instanceof ServiceIpError && got.kind === 'Exhausted')
        exhausted.push(`failed to allocate a serviceIP: ${got.message}`);
      else if (got instanceof ServiceIpError) causes.push(ipCause(got, request.clusterIP, this.config));
      else clusterIP = got;
    }
    const nodePorts: number[] = [];
    request.nodePorts.forEach((wanted, i) => {
      const got = this.#ports.allocate(request.service, wanted || undefined);
      if (got instanceof ServiceIpError && got.kind === 'Exhausted') exhausted.push(got.message);
      else if (got instanceof ServiceIpError)
        causes.push({
          type: 'FieldValueInvalid',
          field: `spec.ports[${i}].nodePort`,
          value: wanted,
          detail: got.message,
        });
      else nodePorts.push(got);
    });
    if (causes.length > 0 || exhausted.length > 0) {
      // All or nothing: give back what this call took.
      if (fresh) this.release(request.service);
      else
        for (const p of this.#ports.portsOf(request.service))
          if (!portsBefore.has(p)) this.#ports.releasePort(request.service, p);
      if (causes.length === 0) return new StatusError(makeStatus('InternalError', exhausted.join('; ')));
      return invalid('Service', request.name, causes);
    }
    if (clusterIP !== undefined || nodePorts.length > 0) this.#holders.add(request.service);
    return { ...(clusterIP !== undefined ? { clusterIP } : {}), nodePorts, fresh };
  }

  /** Frees everything `service` holds. */
  release(service: string): void {
    this.#ips.release(service);
    this.#ports.release(service);
    this.#holders.delete(service);
  }

  /** Services holding an address, and how many. */
  holders(): number {
    return this.#holders.size;
  }
}

function ipCause(error: ServiceIpError, requested: string, config: ServiceAddressConfig): FieldError {
  const detail =
    error.kind === 'Conflict'
      ? `failed to allocate IP ${requested}: provided IP is already allocated`
      : `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${config.serviceCidr}`;
  return { type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [requested], detail };
}
