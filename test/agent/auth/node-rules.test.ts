import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../agent/src/api/types/pod.ts';
import { nodeAuthorizer } from '../../../agent/src/auth/node-authorizer.ts';
import { nodeIdentityOf } from '../../../agent/src/auth/node-identity.ts';
import { decideForNode, type NodeRelations } from '../../../agent/src/auth/node-rules.ts';
import { podReferences } from '../../../agent/src/auth/pod-references.ts';
import type { ResourceAttributes } from '../../../agent/src/auth/roles.ts';

const pod = (name: string, nodeName: string, spec: Partial<Pod['spec']> = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...spec },
  }) as Pod;

const onA = pod('web-a', 'a', {
  volumes: [
    { name: 'cert', secret: { secretName: 'tls-a' } },
    { name: 'cfg', configMap: { name: 'cfg-a' } },
    { name: 'data', persistentVolumeClaim: { claimName: 'data-a' } },
    { name: 'proj', projected: { sources: [{ secret: { name: 'projected-a' } }] } },
  ],
  containers: [
    {
      name: 'c',
      image: 'busybox',
      env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'env-a', key: 'p' } } }],
      envFrom: [{ configMapRef: { name: 'envfrom-a' } }],
    },
  ],
  serviceAccountName: 'robot-a',
});
const onB = pod('web-b', 'b', { volumes: [{ name: 'cert', secret: { secretName: 'tls-b' } }] });
const relations: NodeRelations = { podsOn: (n) => [onA, onB].filter((p) => p.spec?.nodeName === n) };
const options = { secretListsForIngress: false };

const attrs = (
  verb: string,
  resource: string,
  name = '',
  more: Partial<ResourceAttributes> = {},
): ResourceAttributes => {
  const namespaced = !['nodes', 'namespaces', 'persistentvolumes'].includes(resource);
  return {
    verb,
    group: '',
    resource,
    subresource: '',
    namespace: namespaced ? 'default' : '',
    name,
    namespaced,
    ...more,
  };
};

describe('podReferences', () => {
  it('collects every edge of the graph from a pod', () => {
    const refs = podReferences(onA);
    expect([...refs.secrets].sort()).toEqual(['env-a', 'projected-a', 'tls-a']);
    expect([...refs.configMaps].sort()).toEqual(['cfg-a', 'envfrom-a']);
    expect([...refs.claims]).toEqual(['data-a']);
    expect(refs.serviceAccount).toBe('robot-a');
    expect(podReferences(onB).serviceAccount).toBe('default');
  });
});

describe('decideForNode', () => {
  const cases: [string, ResourceAttributes, boolean][] = [
    // reads a kubelet and the node's proxy, DNS and ingress need
    ['list pods', attrs('list', 'pods'), true],
    ['watch pods', attrs('watch', 'pods'), true],
    ['list services', attrs('list', 'services'), true],
    ['watch endpointslices', attrs('watch', 'endpointslices', '', { group: 'discovery.k8s.io' }), true],
    ['get another node', attrs('get', 'nodes', 'b'), true],
    ['list namespaces', attrs('list', 'namespaces'), true],
    ['watch ingresses', attrs('watch', 'ingresses', '', { group: 'networking.k8s.io' }), true],
    // the graph: objects its own pods reference
    ['get own pod secret', attrs('get', 'secrets', 'tls-a'), true],
    ['get env secret', attrs('get', 'secrets', 'env-a'), true],
    ['get projected secret', attrs('get', 'secrets', 'projected-a'), true],
    ['get configmap', attrs('get', 'configmaps', 'cfg-a'), true],
    ['get envFrom configmap', attrs('get', 'configmaps', 'envfrom-a'), true],
    ['get claim', attrs('get', 'persistentvolumeclaims', 'data-a'), true],
    ['bind claim', attrs('update', 'persistentvolumeclaims', 'data-a'), true],
    ['claim status', attrs('update', 'persistentvolumeclaims', 'data-a', { subresource: 'status' }), true],
    ['get service account', attrs('get', 'serviceaccounts', 'robot-a'), true],
    ['secret of node b', attrs('get', 'secrets', 'tls-b'), false],
    ['same name, other namespace', attrs('get', 'secrets', 'tls-a', { namespace: 'other' }), false],
    ['unreferenced configmap', attrs('get', 'configmaps', 'cfg-b'), false],
    ['list secrets', attrs('list', 'secrets'), false],
    ['watch configmaps', attrs('watch', 'configmaps'), false],
    ['claim of node b', attrs('update', 'persistentvolumeclaims', 'data-b'), false],
    ['write a secret', attrs('update', 'secrets', 'tls-a'), false],
    ['create a secret', attrs('create', 'secrets'), false],
    // its own Node and Lease
    ['create node', attrs('create', 'nodes'), true],
    ['update own node', attrs('update', 'nodes', 'a'), true],
    ['own node status', attrs('update', 'nodes', 'a', { subresource: 'status' }), true],
    ['patch own node', attrs('patch', 'nodes', 'a'), true],
    ['delete own node', attrs('delete', 'nodes', 'a'), true],
    ['update node b', attrs('update', 'nodes', 'b'), false],
    ['node b status', attrs('update', 'nodes', 'b', { subresource: 'status' }), false],
    ['delete node b', attrs('delete', 'nodes', 'b'), false],
    ['deletecollection nodes', attrs('deletecollection', 'nodes'), false],
    ...(['get', 'update', 'delete'] as const).map((verb): [string, ResourceAttributes, boolean] => [
      `${verb} own lease`,
      attrs(verb, 'leases', 'a', { group: 'coordination.k8s.io', namespace: 'kube-node-lease' }),
      true,
    ]),
    [
      'create lease',
      attrs('create', 'leases', '', { group: 'coordination.k8s.io', namespace: 'kube-node-lease' }),
      true,
    ],
    [
      'lease of b',
      attrs('update', 'leases', 'b', { group: 'coordination.k8s.io', namespace: 'kube-node-lease' }),
      false,
    ],
    ['lease elsewhere', attrs('create', 'leases', '', { group: 'coordination.k8s.io' }), false],
    // pods: status and deletion of its own, never a spec
    ['own pod status', attrs('update', 'pods', 'web-a', { subresource: 'status' }), true],
    ['patch own pod status', attrs('patch', 'pods', 'web-a', { subresource: 'status' }), true],
    ['delete own pod', attrs('delete', 'pods', 'web-a'), true],
    ['pod status of b', attrs('update', 'pods', 'web-b', { subresource: 'status' }), false],
    ['delete pod of b', attrs('delete', 'pods', 'web-b'), false],
    ['update own pod spec', attrs('update', 'pods', 'web-a'), false],
    ['create a pod', attrs('create', 'pods'), false],
    ['exec into a pod', attrs('get', 'pods', 'web-a', { subresource: 'exec' }), false],
    ['delete all pods', attrs('deletecollection', 'pods'), false],
    ['create event', attrs('create', 'events'), true],
    ['delete event', attrs('delete', 'events', 'x'), false],
    // everything else
    ['create deployment', attrs('create', 'deployments', '', { group: 'apps' }), false],
    ['read deployments', attrs('list', 'deployments', '', { group: 'apps' }), false],
    ['create namespace', attrs('create', 'namespaces'), false],
    ['update a volume', attrs('update', 'persistentvolumes', 'pv'), false],
    ['provision a volume', attrs('create', 'persistentvolumes'), true],
    [
      'ingress status',
      attrs('update', 'ingresses', 'i', { group: 'networking.k8s.io', subresource: 'status' }),
      true,
    ],
    ['ingress spec', attrs('update', 'ingresses', 'i', { group: 'networking.k8s.io' }), false],
  ];
  it.each(cases)('%s', (_what, attributes, allowed) => {
    expect(decideForNode('a', attributes, relations, options).allowed).toBe(allowed);
  });

  it('lists Secrets only when the ingress allowance is on', () => {
    expect(
      decideForNode('a', attrs('watch', 'secrets'), relations, { secretListsForIngress: true }).allowed,
    ).toBe(true);
    expect(
      decideForNode('a', attrs('get', 'secrets', 'tls-b'), relations, { secretListsForIngress: true })
        .allowed,
    ).toBe(false);
  });
});

describe('nodeIdentityOf', () => {
  const names = new Map([[3, 'edge-3']]);
  const of = (name: string, groups: string[], sa?: string) =>
    nodeIdentityOf({ name, groups, ...(sa === undefined ? {} : { serviceAccountNamespace: sa }) }, (id) =>
      names.get(id),
    );
  it.each([
    [
      'agent certificate',
      'node-3',
      ['system:authenticated'],
      undefined,
      { kind: 'node', nodeName: 'edge-3' },
    ],
    ['retired or unknown id', 'node-9', ['system:authenticated'], undefined, { kind: 'unknown', nodeId: 9 }],
    [
      'kubernetes spelling',
      'system:node:edge-7',
      ['system:nodes', 'system:authenticated'],
      undefined,
      { kind: 'node', nodeName: 'edge-7' },
    ],
    ['node- name with a group', 'node-3', ['system:masters', 'system:authenticated'], undefined, undefined],
    ['system:node: without the group', 'system:node:edge-7', ['system:authenticated'], undefined, undefined],
    ['admin', 'admin', ['system:masters'], undefined, undefined],
    ['service account', 'node-3', ['system:authenticated'], 'default', undefined],
  ])('%s', (_what, name, groups, sa, expected) => {
    expect(of(name, groups, sa)).toEqual(expected);
  });
});

describe('nodeAuthorizer', () => {
  const inner = { authorize: () => false };
  const authorizer = nodeAuthorizer({
    inner,
    memberName: (id) => (id === 1 ? 'a' : id === 2 ? 'b' : undefined),
    relations,
    secretListsForIngress: false,
  });
  const nodeA = { name: 'node-1', groups: ['system:authenticated'] };
  const failure = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as { status: { code: number; message: string } }).status;
    }
    throw new Error('expected a Forbidden');
  };

  it("denies modifying another node with NodeRestriction's wording", () => {
    expect(failure(() => authorizer.authorize(nodeA, attrs('update', 'nodes', 'b')))).toMatchObject({
      code: 403,
      message: 'nodes "b" is forbidden: node "a" is not allowed to modify node "b"',
    });
  });

  it("denies a secret with the Node authorizer's wording", () => {
    expect(failure(() => authorizer.authorize(nodeA, attrs('get', 'secrets', 'tls-b'))).message).toBe(
      'secrets "tls-b" is forbidden: User "node-1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node \'a\' and this object',
    );
  });

  it('denies a certificate of no member, and leaves other identities to the inner authorizer', () => {
    expect(
      failure(() =>
        authorizer.authorize({ name: 'node-5', groups: ['system:authenticated'] }, attrs('list', 'pods')),
      ).code,
    ).toBe(403);
    expect(authorizer.authorize(nodeA, attrs('list', 'pods'))).toBe(true);
    expect(
      authorizer.authorize({ name: 'admin', groups: ['system:authenticated'] }, attrs('list', 'pods')),
    ).toBe(false);
  });
});
