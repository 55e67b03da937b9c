import { type EndpointView, serviceKey } from '../endpoint-table-types.ts';
import type { Backend } from '../proxy-plan.ts';
import type { ProxyService } from '../service-types.ts';
import type { IngressBackendRef, ProxyIngress, TlsSecret } from './ingress-types.ts';

/** Where one matched request goes: a Service port and its ready endpoints (empty: 503). */
export interface Route {
  /** `<namespace>/<name>` of the Ingress that declared the route. */
  readonly ingress: string;
  /** `<namespace>/<name>:<port>` of the backend Service, for logs and tests. */
  readonly target: string;
  readonly backends: readonly Backend[];
}

interface PathRoute {
  readonly path: string;
  readonly route: Route;
}

/** One host's routes: exact paths, then prefixes longest first. */
export interface HostRoutes {
  readonly exact: ReadonlyMap<string, Route>;
  readonly prefixes: readonly PathRoute[];
}

export interface RouteTable {
  /** Host (lower case) -> routes; wildcard hosts keep their `*.` form. Host-less rules are under ''. */
  readonly hosts: ReadonlyMap<string, HostRoutes>;
  readonly defaultBackend: Route | undefined;
  /** Host (lower case, wildcards as written) -> certificate and key. */
  readonly certificates: ReadonlyMap<string, { cert: string; key: string }>;
  /** What could not be honoured, with what to do about it. */
  readonly problems: readonly string[];
}

/**
 * The node's HTTP routes from the Ingresses, Services and endpoint table. Pure.
 *
 * Conflicts go to the oldest Ingress (creation time, then namespace/name), as ingress-nginx
 * does. ImplementationSpecific paths are treated as Prefix. Only ready endpoints are backends.
 */
export function buildRouteTable(
  ingresses: readonly ProxyIngress[],
  services: readonly ProxyService[],
  view: EndpointView,
  secrets: readonly TlsSecret[],
): RouteTable {
  const problems: string[] = [];
  const serviceByKey = new Map(services.map((s) => [serviceKey(s.namespace, s.name), s]));
  const secretByKey = new Map(secrets.map((s) => [serviceKey(s.namespace, s.name), s]));
  const exact = new Map<string, Map<string, Route>>();
  const prefixes = new Map<string, PathRoute[]>();
  const certificates = new Map<string, { cert: string; key: string }>();
  let defaultBackend: Route | undefined;

  for (const ing of [...ingresses].sort(olderFirst)) {
    const namespace = ing.metadata.namespace ?? 'default';
    const id = `${namespace}/${ing.metadata.name ?? ''}`;
    const resolve = (ref: IngressBackendRef) =>
      resolveBackend(id, namespace, ref, serviceByKey, view, problems);
    if (ing.spec?.defaultBackend && !defaultBackend) defaultBackend = resolve(ing.spec.defaultBackend);
    for (const rule of ing.spec?.rules ?? []) {
      const host = (rule.host ?? '').toLowerCase();
      for (const p of rule.http?.paths ?? []) {
        const route = resolve(p.backend);
        const path = p.path ?? '/';
        if (p.pathType === 'Exact') {
          const byPath = exact.get(host) ?? new Map<string, Route>();
          if (!byPath.has(path)) byPath.set(path, route);
          exact.set(host, byPath);
        } else {
          const list = prefixes.get(host) ?? [];
          const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
          if (!list.some((x) => x.path === normalized)) list.push({ path: normalized, route });
          prefixes.set(host, list);
        }
      }
    }
    for (const tls of ing.spec?.tls ?? []) {
      const secret = tls.secretName ? secretByKey.get(`${namespace}/${tls.secretName}`) : undefined;
      if (!secret) {
        problems.push(
          `${id}: TLS secret ${namespace}/${tls.secretName ?? '<unnamed>'} not found or not kubernetes.io/tls; its hosts get no certificate`,
        );
        continue;
      }
      for (const h of tls.hosts ?? []) {
        const host = h.toLowerCase();
        if (!certificates.has(host)) certificates.set(host, { cert: secret.cert, key: secret.key });
      }
    }
  }

  const hosts = new Map<string, HostRoutes>();
  for (const host of new Set([...exact.keys(), ...prefixes.keys()])) {
    const list = [...(prefixes.get(host) ?? [])].sort((a, b) => b.path.length - a.path.length);
    hosts.set(host, { exact: exact.get(host) ?? new Map(), prefixes: list });
  }
  return { hosts, defaultBackend, certificates, problems };
}

/**
 * The route for a request: the host's own rules (exact name, then a `*.` wildcard one label deep),
 * else the host-less rules; within them an Exact path, then the longest Prefix by whole path
 * elements (`/foo` matches `/foo` and `/foo/bar`, not `/foobar`); else the default backend.
 * Undefined means 404.
 */
export function matchRoute(table: RouteTable, hostHeader: string, path: string): Route | undefined {
  const host = stripPort(hostHeader).toLowerCase();
  const dot = host.indexOf('.');
  const routes =
    table.hosts.get(host) ??
    (dot > 0 ? table.hosts.get(`*${host.slice(dot)}`) : undefined) ??
    table.hosts.get('');
  if (routes) {
    const pathOnly = path.split('?')[0] ?? '/';
    const hit =
      routes.exact.get(pathOnly) ?? routes.prefixes.find((p) => prefixMatches(p.path, pathOnly))?.route;
    if (hit) return hit;
  }
  return table.defaultBackend;
}

/** The certificate for a TLS server name: exact host, then a wildcard one label deep. */
export function certificateFor(
  table: RouteTable,
  serverName: string,
): { cert: string; key: string } | undefined {
  const name = serverName.toLowerCase();
  const dot = name.indexOf('.');
  return (
    table.certificates.get(name) ?? (dot > 0 ? table.certificates.get(`*${name.slice(dot)}`) : undefined)
  );
}

function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || path.startsWith(`${prefix}/`);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function olderFirst(a: ProxyIngress, b: ProxyIngress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A backend reference to a Service port, resolved to that port's ready endpoints. */
function resolveBackend(
  ingress: string,
  namespace: string,
  ref: IngressBackendRef,
  services: ReadonlyMap<string, ProxyService>,
  view: EndpointView,
  problems: string[],
): Route {
  const svcRef = ref.service;
  if (!svcRef) {
    problems.push(`${ingress}: only Service backends are supported; requests there get 503`);
    return { ingress, target: '<resource>', backends: [] };
  }
  const key = serviceKey(namespace, svcRef.name);
  const target = `${key}:${svcRef.port.number ?? svcRef.port.name ?? ''}`;
  const svc = services.get(key);
  const port = svc?.ports.find((p) =>
    svcRef.port.number !== undefined ? p.port === svcRef.port.number : p.name === svcRef.port.name,
  );
  if (!svc || !port || port.protocol !== 'TCP') {
    problems.push(
      `${ingress}: backend Service port ${target} does not exist; requests there get 503 until it does`,
    );
    return { ingress, target, backends: [] };
  }
  const backends = (view.get(key) ?? [])
    .filter((e) => e.ready && e.portName === port.name && e.protocol === 'TCP')
    .map((e) => ({ ip: e.ip, port: e.port, nodeId: e.nodeId, local: e.local }));
  return { ingress, target, backends };
}
