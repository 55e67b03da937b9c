/**
 * Node selector terms (required node affinity, PersistentVolume node affinity): terms are ORed, the
 * requirements inside a term ANDed, as in Kubernetes' nodeaffinity helpers. matchFields supports
 * `metadata.name`, the only field Kubernetes allows there.
 */
import type { Node } from '../api/types/core.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm } from '../api/types/pod.ts';

function matchesRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const bound = Number(r.values?.[0]);
      if (value === undefined || !/^-?\d+$/.test(value) || !Number.isFinite(bound)) return false;
      const v = Number(value);
      return r.operator === 'Gt' ? v > bound : v < bound;
    }
    default:
      return false;
  }
}

/** One term; a term with no requirements matches nothing (as in Kubernetes). */
export function matchesNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels;
  for (const r of exprs) {
    const value = labels !== undefined && Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    if (!matchesRequirement(r, value)) return false;
  }
  for (const r of fields) {
    const value = r.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!matchesRequirement(r, value)) return false;
  }
  return true;
}

export function matchesAnyNodeSelectorTerm(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  for (const t of terms) if (matchesNodeSelectorTerm(t, node)) return true;
  return false;
}

/** A nodeSelector map: every key must be present with exactly that value. */
export function matchesNodeSelectorMap(selector: Readonly<Record<string, string>>, node: Node): boolean {
  const labels = node.metadata.labels;
  for (const key in selector) {
    if (labels === undefined || labels[key] !== selector[key]) return false;
  }
  return true;
}
