/**
 * Pods indexed by `key=value` label pairs, so that an affinity term with equality selectors looks at
 * the pods carrying its labels instead of every pod in the cluster. Candidates are a superset: the
 * caller still checks the full term (namespaces, other requirements).
 */
import { exactLabels, type Selector } from '../api/label-selector.ts';
import type { PodInfo } from './pod-info.ts';

const pair = (key: string, value: string): string => `${key}=${value}`;

export class LabelIndex {
  private readonly byPair = new Map<string, Set<PodInfo>>();
  /** Pods that must always be offered (their own index key could not be narrowed). */
  private readonly everywhere = new Set<PodInfo>();

  /** Indexes `p` under its labels (or, with `keys`, under those pairs; empty: offered to every query). */
  add(p: PodInfo, keys: readonly string[] = Object.entries(p.labels).map(([k, v]) => pair(k, v))): void {
    if (keys.length === 0) this.everywhere.add(p);
    for (const k of keys) {
      let set = this.byPair.get(k);
      if (set === undefined) {
        set = new Set();
        this.byPair.set(k, set);
      }
      set.add(p);
    }
  }

  remove(p: PodInfo, keys: readonly string[] = Object.entries(p.labels).map(([k, v]) => pair(k, v))): void {
    this.everywhere.delete(p);
    for (const k of keys) {
      const set = this.byPair.get(k);
      if (set === undefined) continue;
      set.delete(p);
      if (set.size === 0) this.byPair.delete(k);
    }
  }

  /** Indexed pods that can match `selector`, or undefined when it is not narrowed by equality. */
  candidatesFor(selector: Selector): ReadonlySet<PodInfo> | undefined {
    if (selector.nothing) return new Set();
    const exact = exactLabels(selector);
    if (exact === undefined || Object.keys(exact).length === 0) return undefined;
    let best: ReadonlySet<PodInfo> | undefined;
    for (const [k, v] of Object.entries(exact)) {
      const set = this.byPair.get(pair(k, v));
      if (set === undefined) return new Set();
      if (best === undefined || set.size < best.size) best = set;
    }
    return best;
  }

  /** Indexed pods listed under any of these labels, plus those offered everywhere. */
  underAnyOf(labels: Readonly<Record<string, string>>): Set<PodInfo> {
    const out = new Set(this.everywhere);
    for (const k in labels) {
      const set = this.byPair.get(pair(k, labels[k] ?? ''));
      if (set !== undefined) for (const p of set) out.add(p);
    }
    return out;
  }
}

/** The pairs under which an anti-affinity pod is filed: one equality pair per term, or none (scan). */
export function antiAffinityKeys(p: PodInfo): string[] {
  const keys: string[] = [];
  for (const t of p.requiredAntiAffinity) {
    const exact = t.selector.nothing ? undefined : exactLabels(t.selector);
    const first = exact === undefined ? undefined : Object.entries(exact)[0];
    if (first === undefined) return [];
    keys.push(pair(first[0], first[1]));
  }
  return keys;
}
