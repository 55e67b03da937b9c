/**
 * Content negotiation. kubectl asks for Tables (`get`), for aggregated discovery (1.27+) and for
 * protobuf (typed clients); kedge answers JSON always — never 406, which kubectl does not forgive.
 */

export interface Negotiated {
  /** The Table version to answer with, when the client asked for `as=Table`. */
  readonly table: 'v1' | 'v1beta1' | undefined;
  /** The aggregated discovery version to answer with, when asked for `as=APIGroupDiscoveryList`. */
  readonly aggregatedDiscovery: 'v2' | 'v2beta1' | undefined;
}

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

function parseAccept(accept: string): MediaRange[] {
  return accept
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
      }
      return { type: type.toLowerCase(), params };
    })
    .filter((m) => m.type !== '');
}

/** Picks, in the client's order of preference, the first special form kedge can serve. */
export function negotiate(accept: string | undefined): Negotiated {
  let table: Negotiated['table'];
  let aggregatedDiscovery: Negotiated['aggregatedDiscovery'];
  for (const range of parseAccept(accept ?? '')) {
    if (range.type !== 'application/json') continue;
    const as = range.params.get('as');
    const g = range.params.get('g');
    const v = range.params.get('v');
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) table ??= v;
    if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) {
      aggregatedDiscovery ??= v;
    }
  }
  return { table, aggregatedDiscovery };
}

/** The body formats kedge reads for create and update: JSON and YAML. */
export function bodyFormat(contentType: string | undefined): 'json' | 'yaml' | undefined {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === '') return 'json';
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml';
  return undefined;
}
