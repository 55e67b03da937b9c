import { join } from 'node:path';
import type { CommandRunner } from '@kedge/proxy';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceIpError } from '../../../agent/src/services/service-ip-error.ts';
import { planAddressChanges, VirtualIpBinder } from '../../../agent/src/services/virtual-ip-binder.ts';
import { createNetns, netnsUnavailable, type TestNetns } from '../../proxy/netns.ts';

const CHILD = join(process.cwd(), 'test/proxy/netns-child.ts');

describe('planAddressChanges', () => {
  it('adds the missing addresses and removes the extra ones', () => {
    expect(planAddressChanges(['10.96.0.1', '10.96.0.2'], ['10.96.0.2', '10.96.0.3'])).toEqual({
      add: ['10.96.0.3'],
      remove: ['10.96.0.1'],
    });
    expect(planAddressChanges(['10.96.0.1'], ['10.96.0.1'])).toEqual({ add: [], remove: [] });
  });
});

describe('VirtualIpBinder without privilege', () => {
  it('falls back to loopback mode when the kernel says Operation not permitted', async () => {
    const calls: string[][] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return { code: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted\n' };
    };
    const binder = await VirtualIpBinder.start({ run });
    if (binder instanceof ServiceIpError) throw binder;
    expect(binder.mode).toBe('loopback');
    expect(binder.reason).toContain('CAP_NET_ADMIN');
    expect(await binder.sync(['10.96.0.1'])).toEqual([]);
    expect(calls).toHaveLength(1); // nothing tried after the refusal
  });

  it('reports other failures as errors that say what to check', async () => {
    const run: CommandRunner = async () => ({ code: 127, stdout: '', stderr: 'ip: spawn ip ENOENT' });
    const binder = await VirtualIpBinder.start({ run });
    expect(binder).toBeInstanceOf(ServiceIpError);
    expect((binder as ServiceIpError).message).toContain('iproute2');
  });
});

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)('VirtualIpBinder in a network namespace', () => {
  let ns: TestNetns | undefined;
  afterEach(() => {
    ns?.destroy();
    ns = undefined;
  });

  it('binds ClusterIPs on kedge0 in step with the Services, and the proxy serves them', async () => {
    ns = createNetns();
    const binder = await VirtualIpBinder.start({ netns: ns.name });
    if (binder instanceof ServiceIpError) throw binder;
    expect(binder.mode).toBe('virtual');
    expect(await binder.sync(['10.96.0.10', '10.96.0.11', 'None'])).toEqual([]);
    expect((await binder.boundAddresses()) as string[]).toEqual(['10.96.0.10', '10.96.0.11']);

    // The proxy, inside the namespace, listens on the ClusterIP itself (virtual mode).
    const child = ns.spawnNode(CHILD);
    await child.call('backend', { name: 'pod-a', ip: '127.0.0.1', port: 18080 });
    const services = [
      {
        namespace: 'default',
        name: 'web',
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        ports: [{ name: '', protocol: 'TCP', port: 80 }],
        sessionAffinity: 'None',
      },
    ];
    const endpoints = {
      'default/web': [
        {
          portName: '',
          ip: '127.0.0.1',
          port: 18080,
          protocol: 'TCP',
          ready: true,
          nodeId: 'n',
          local: true,
        },
      ],
    };
    expect(await child.call('proxy', { services, endpoints, mode: 'virtual' })).toEqual([]);
    expect(await child.call('fetch', { host: '10.96.0.10', port: 80, count: 3 })).toEqual([
      'pod-a',
      'pod-a',
      'pod-a',
    ]);

    // A Service deleted: its address goes; the other stays.
    expect(await binder.sync(['10.96.0.11'])).toEqual([]);
    expect(await binder.boundAddresses()).toEqual(['10.96.0.11']);
    expect(await binder.stop()).toEqual([]);
    expect(ns.exec('ip', ['-o', 'link', 'show'])).not.toContain('kedge0');
  }, 20_000);
});
