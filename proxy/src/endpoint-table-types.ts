/**
 * The endpoint table's shape, shared by the gossip side (agent/src/gossip, which merges it) and the
 * proxy (which balances over it). It is the one thing the proxy knows of the agent.
 */

export type Protocol = 'TCP' | 'UDP';

/** `<namespace>/<name>`: how a Service is keyed in the table. */
export type ServiceKey = string;

export function serviceKey(namespace: string, name: string): ServiceKey {
  return `${namespace}/${name}`;
}

/** One endpoint of one Service port, as the node that runs the pod announces it. */
export interface EndpointEntry {
  readonly namespace: string;
  readonly service: string;
  /** The Service port's name ('' for a single unnamed port): how a Service port finds its endpoints. */
  readonly portName: string;
  readonly ip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly ready: boolean;
  readonly podName?: string;
  /** Pod spec.hostname and spec.subdomain (StatefulSets): give the pod its own DNS name. */
  readonly hostname?: string;
  readonly subdomain?: string;
}

/**
 * Where an origin's announcement stands. An origin's incarnation changes when its agent restarts
 * (it is the boot time), its sequence every time its own endpoints change; (incarnation, sequence)
 * compares lexicographically, and the newer announcement replaces the origin's whole entry set.
 */
export interface OriginVersion {
  readonly incarnation: number;
  readonly sequence: number;
}

/** Everything one origin node announces: its own pods' endpoints at one version. */
export interface OriginState extends OriginVersion {
  readonly nodeId: string;
  readonly entries: readonly EndpointEntry[];
}

/** One endpoint in the merged view of a Service: as announced, plus which node and whether it is this one. */
export interface ServiceEndpoint {
  readonly portName: string;
  readonly ip: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly ready: boolean;
  readonly nodeId: string;
  readonly local: boolean;
  readonly podName?: string;
  readonly hostname?: string;
  readonly subdomain?: string;
}

/** The merged endpoint table, per Service. */
export type EndpointView = ReadonlyMap<ServiceKey, readonly ServiceEndpoint[]>;

/** Lexicographic order on (incarnation, sequence): negative when a is older than b. */
export function compareVersions(a: OriginVersion, b: OriginVersion): number {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence ? -1 : 1;
  return 0;
}
