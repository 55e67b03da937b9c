/**
 * Discovery documents, generated from the resource registry (api/registry.ts): what kubectl reads
 * to learn resource names, scopes, verbs, short names, categories and subresources.
 * Legacy form: /api (APIVersions), /apis (APIGroupList), /api/v1 and /apis/g/v (APIResourceList).
 * Aggregated form (kubectl >= 1.27 asks first): one APIGroupDiscoveryList for /api and one for /apis.
 */
import type { ResourceInfo } from '../../api/registry.ts';

const subresourceVerbs = ['get', 'patch', 'update'];

interface GroupVersion {
  readonly group: string;
  readonly version: string;
  readonly resources: readonly ResourceInfo[];
}

/** Group versions in registry order, core first. */
export function groupVersionsOf(resources: readonly ResourceInfo[]): GroupVersion[] {
  const out = new Map<string, { group: string; version: string; resources: ResourceInfo[] }>();
  for (const r of [...resources].sort((a, b) => Number(a.group !== '') - Number(b.group !== ''))) {
    const key = `${r.group}/${r.version}`;
    const entry = out.get(key) ?? { group: r.group, version: r.version, resources: [] };
    entry.resources.push(r);
    out.set(key, entry);
  }
  return [...out.values()];
}

const groupVersionString = (group: string, version: string): string =>
  group === '' ? version : `${group}/${version}`;

export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: readonly GroupVersion[]): object {
  const list = versions
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: groupVersionString(group, gv.version), version: gv.version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(resources: readonly ResourceInfo[]): object {
  const versions = groupVersionsOf(resources);
  const groups = [...new Set(versions.map((gv) => gv.group).filter((g) => g !== ''))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g, versions)) };
}

/** /apis/{group}; undefined when kedge does not serve the group. */
export function apiGroupDocument(resources: readonly ResourceInfo[], group: string): object | undefined {
  const versions = groupVersionsOf(resources);
  if (group === '' || !versions.some((gv) => gv.group === group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

/** /api/v1 or /apis/{group}/{version}; undefined when kedge does not serve that group version. */
export function apiResourceList(
  resources: readonly ResourceInfo[],
  group: string,
  version: string,
): object | undefined {
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  const entries: object[] = [];
  for (const r of served) {
    entries.push({
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    });
    for (const sub of r.subresources) {
      entries.push({
        name: `${r.resource}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { kind: r.kind }),
        verbs: subresourceVerbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionString(group, version),
    resources: entries,
  };
}

/** The Content-Type kubectl checks to know it received the aggregated form. */
export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/** Aggregated discovery (KEP-3352): `core` true for /api (the group named ""), false for /apis. */
export function aggregatedDiscovery(
  resources: readonly ResourceInfo[],
  core: boolean,
  version: 'v2' | 'v2beta1',
): object {
  const versions = groupVersionsOf(resources).filter((gv) => (gv.group === '') === core);
  const groups = [...new Set(versions.map((gv) => gv.group))];
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: versions
        .filter((gv) => gv.group === group)
        .map((gv) => ({
          version: gv.version,
          resources: gv.resources.map((r) => ({
            resource: r.resource,
            responseKind: { group: r.group, version: r.version, kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singular,
            verbs: r.verbs,
            ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
            ...(r.categories.length > 0 ? { categories: r.categories } : {}),
            ...(r.subresources.length > 0
              ? {
                  subresources: r.subresources.map((sub) => ({
                    subresource: sub,
                    responseKind:
                      sub === 'scale'
                        ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
                        : { group: r.group, version: r.version, kind: r.kind },
                    verbs: subresourceVerbs,
                  })),
                }
              : {}),
          })),
          freshness: 'Current',
        })),
    })),
  };
}

/** What /version reports. The gcloud kubectl dispatcher picks its binary by `minor`. */
export interface ServerVersion {
  readonly major: string;
  readonly minor: string;
  readonly gitVersion: string;
}

export function versionDocument(v: ServerVersion): object {
  return {
    major: v.major,
    minor: v.minor,
    gitVersion: v.gitVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'kedge',
    platform: `${process.platform}/${process.arch}`,
  };
}
