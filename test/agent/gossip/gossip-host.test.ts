import type { EndpointEntry } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { GossipError } from '../../../agent/src/gossip/gossip-error.ts';
import { GossipHost, type GossipHostOptions } from '../../../agent/src/gossip/gossip-host.ts';
import type { MemberEvent } from '../../../agent/src/gossip/membership.ts';
import { type PlannedNode, planCluster, waitFor } from './cluster-fixture.ts';

const started: GossipHost[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.stop()));
  for (const c of cleanups.splice(0)) await c();
});

async function startHost(node: PlannedNode, members: PlannedNode[], extra: Partial<GossipHostOptions> = {}) {
  const host = await GossipHost.create({
    nodeId: node.nodeId,
    identity: node.identity,
    listen: [node.listen],
    members: members.map((m) => m.member),
    dataDir: node.dataDir,
    ...extra,
  });
  if (host instanceof GossipError) throw host;
  await host.start();
  started.push(host);
  return host;
}

function ep(node: string, ip: string, ready = true): EndpointEntry {
  return {
    namespace: 'default',
    service: 'web',
    portName: '',
    ip,
    port: 80,
    protocol: 'TCP',
    ready,
    podName: `web-${node}`,
  };
}

function readyIps(host: GossipHost): string[] {
  return (host.view().get('default/web') ?? []).filter((e) => e.ready).map((e) => e.ip);
}

describe('gossip hosts in one process', () => {
  it('endpoint tables converge after add, readiness flip and remove', async () => {
    const { nodes, cleanup } = await planCluster(4);
    cleanups.push(cleanup);
    const hosts = await Promise.all(nodes.map((n) => startHost(n, nodes)));
    await waitFor(() => hosts.every((h) => h.connectedNodes().length === 3), 10_000, 'full connectivity');
    // A member declared dead has its entries refused: none may be, or convergence would stall.
    const deaths: string[] = [];
    for (const h of hosts) {
      h.addEventListener('member', (e) => {
        const m = (e as CustomEvent<MemberEvent>).detail;
        if (m.status === 'dead') deaths.push(`${h.nodeId} declared ${m.nodeId} dead`);
      });
    }

    hosts[0]!.setLocalEndpoints([ep('0', '10.1.0.1')]);
    hosts[2]!.setLocalEndpoints([ep('2', '10.1.0.3')]);
    const addMs = await waitFor(
      () => hosts.every((h) => readyIps(h).join() === '10.1.0.1,10.1.0.3'),
      5000,
      'added endpoints everywhere',
    );
    expect(
      hosts[0]!
        .view()
        .get('default/web')
        ?.find((e) => e.ip === '10.1.0.1')?.local,
    ).toBe(true);
    expect(
      hosts[1]!
        .view()
        .get('default/web')
        ?.find((e) => e.ip === '10.1.0.1')?.local,
    ).toBe(false);

    hosts[2]!.setLocalEndpoints([ep('2', '10.1.0.3', false)]);
    await waitFor(
      () => hosts.every((h) => readyIps(h).join() === '10.1.0.1'),
      5000,
      'readiness flip everywhere',
    );

    hosts[0]!.setLocalEndpoints([]);
    await waitFor(() => hosts.every((h) => readyIps(h).length === 0), 5000, 'removal everywhere');
    expect(deaths).toEqual([]);
    expect(addMs).toBeLessThan(2000);
  });

  it('a stopped host is declared dead by the others and its endpoints are dropped', async () => {
    const { nodes, cleanup } = await planCluster(3);
    cleanups.push(cleanup);
    const hosts = await Promise.all(nodes.map((n) => startHost(n, nodes)));
    const events: MemberEvent[] = [];
    hosts[0]!.addEventListener('member', (e) => events.push((e as CustomEvent<MemberEvent>).detail));
    await waitFor(() => hosts.every((h) => h.connectedNodes().length === 2), 10_000, 'full connectivity');
    hosts[2]!.setLocalEndpoints([ep('2', '10.1.0.3')]);
    await waitFor(() => hosts.every((h) => readyIps(h).length === 1), 5000, 'endpoint everywhere');

    const victim = hosts[2]!;
    started.splice(started.indexOf(victim), 1);
    const stoppedAt = Date.now();
    await victim.stop();
    const ms = await waitFor(
      () =>
        hosts.slice(0, 2).every((h) => h.membership.status('node-2') === 'dead' && readyIps(h).length === 0),
      5000,
      'node-2 dead and its endpoints dropped',
    );
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(events.map((e) => e.status)).toContain('dead');
    expect(ms).toBeGreaterThan(0);
    // The survivors never suspected each other.
    expect(hosts[0]!.membership.status('node-1')).toBe('alive');
  });

  it('a peer that is not in the member list cannot connect, even knowing the addresses', async () => {
    const { nodes, cleanup } = await planCluster(3);
    cleanups.push(cleanup);
    const members = nodes.slice(0, 2);
    const [a, b] = await Promise.all(members.map((n) => startHost(n, members)));
    // The outsider knows everyone and lists itself as a member in its own copy of the list.
    const outsider = await startHost(nodes[2]!, nodes);
    await waitFor(
      () => a!.connectedNodes().length === 1 && b!.connectedNodes().length === 1,
      10_000,
      'members',
    );
    a!.setLocalEndpoints([ep('0', '10.1.0.1')]);
    await waitFor(() => readyIps(b!).length === 1, 5000, 'member sees the endpoint');
    await new Promise((r) => setTimeout(r, 1500));
    // The outsider keeps dialling; each dial is refused by the members' gater after the handshake,
    // so at an instant its side may still hold a connection being torn down. What must hold: it
    // keeps no connection, and it never learns an endpoint.
    await waitFor(() => outsider.connectedNodes().length === 0, 5000, 'the outsider holds no connection');
    expect(readyIps(outsider)).toEqual([]);
    expect(a!.gater.denied + b!.gater.denied).toBeGreaterThan(0);
  });

  it('with a pre-shared key, a member holding a different key cannot join the private network', async () => {
    const { nodes, cleanup } = await planCluster(3);
    cleanups.push(cleanup);
    const psk = (hex: string) =>
      new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex.repeat(64 / hex.length)}`);
    const good = psk('ab');
    const [a, b] = await Promise.all(
      nodes.slice(0, 2).map((n) => startHost(n, nodes, { preSharedKey: good })),
    );
    const wrong = await startHost(nodes[2]!, nodes, { preSharedKey: psk('cd') });
    await waitFor(() => a!.connectedNodes().includes('node-1'), 10_000, 'a and b connect');
    a!.setLocalEndpoints([ep('0', '10.1.0.1')]);
    await waitFor(() => readyIps(b!).length === 1, 5000, 'b sees the endpoint');
    await new Promise((r) => setTimeout(r, 1000));
    expect(wrong.connectedNodes()).toEqual([]);
    expect(b!.connectedNodes()).toEqual(['node-0']);
  });

  it('a restarted host serves its persisted table before hearing anyone', async () => {
    const { nodes, cleanup } = await planCluster(2);
    cleanups.push(cleanup);
    const [a, b] = await Promise.all(nodes.map((n) => startHost(n, nodes)));
    a!.setLocalEndpoints([ep('0', '10.1.0.1')]);
    await waitFor(() => readyIps(b!).length === 1, 5000, 'b sees a');
    await b!.stop();
    started.splice(started.indexOf(b!), 1);
    await a!.stop();
    started.splice(started.indexOf(a!), 1);
    // b comes back alone: a is gone, yet b still knows a's endpoint from disk.
    const again = await GossipHost.create({
      nodeId: 'node-1',
      identity: nodes[1]!.identity,
      listen: [nodes[1]!.listen],
      members: nodes.map((n) => n.member),
      dataDir: nodes[1]!.dataDir,
    });
    if (again instanceof GossipError) throw again;
    expect(readyIps(again)).toEqual(['10.1.0.1']);
  });
});
