/**
 * The reason strings kube-scheduler prints per node, word for word, so that `kubectl describe pod`
 * reads the same on kedge. Each is one frozen array so that a failing filter allocates nothing.
 */
export type Reasons = readonly string[];

const one = (r: string): Reasons => Object.freeze([r]);

export const NODE_UNSCHEDULABLE = one('node(s) were unschedulable');
export const NODE_NOT_READY = one('node(s) were not ready');
export const NODE_AFFINITY_MISMATCH = one("node(s) didn't match Pod's node affinity/selector");
export const HOST_PORTS_TAKEN = one("node(s) didn't have free ports for the requested pod ports");
export const VOLUME_NODE_AFFINITY_CONFLICT = one('node(s) had volume node affinity conflict');
export const POD_AFFINITY_MISMATCH = one("node(s) didn't match pod affinity rules");
export const POD_ANTI_AFFINITY_MISMATCH = one("node(s) didn't match pod anti-affinity rules");
export const EXISTING_ANTI_AFFINITY_MISMATCH = one(
  "node(s) didn't satisfy existing pods anti-affinity rules",
);
export const SPREAD_CONSTRAINTS_MISMATCH = one("node(s) didn't match pod topology spread constraints");
export const SPREAD_MISSING_LABEL = one(
  "node(s) didn't match pod topology spread constraints (missing required label)",
);
export const TOO_MANY_PODS = 'Too many pods';

export const insufficient = (resource: string): string => `Insufficient ${resource}`;

/** `{key: value}`, as kube-scheduler formats an untolerated taint (value may be empty). */
export const untoleratedTaint = (key: string, value: string | undefined): string =>
  `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
