import type { EndpointView, ServiceEndpoint } from '@kedge/proxy';
import { describe, expect, it } from 'vitest';
import { LastResortEndpoints } from '../../../agent/src/node/last-resort-endpoints.ts';

function ep(nodeId: string, ip: string, ready = true, local = false): ServiceEndpoint {
  return { portName: '', ip, port: 8080, protocol: 'TCP', ready, nodeId, local };
}

const view = (...endpoints: ServiceEndpoint[]): EndpointView => new Map([['default/hello', endpoints]]);
const deadSet =
  (...dead: string[]) =>
  (n: string) =>
    dead.includes(n);

describe('last-resort endpoints of dead agents', () => {
  it("gives a Service whose every replica was on the dead agent that agent's endpoints back", () => {
    const lr = new LastResortEndpoints();
    lr.withLastResort(
      view(ep('a2', '10.0.0.2'), ep('a2', '10.0.0.3'), ep('a3', '10.0.0.9', false)),
      deadSet(),
    );
    // a2 dies: the table drops its entries; a3's only pod is not ready yet.
    const served = lr.withLastResort(view(ep('a3', '10.0.0.9', false)), deadSet('a2'));
    expect(served.get('default/hello')?.map((e) => e.ip)).toEqual(['10.0.0.9', '10.0.0.2', '10.0.0.3']);
    expect(lr.serving).toEqual(['default/hello']);
  });

  it('serves only live endpoints as soon as one is ready', () => {
    const lr = new LastResortEndpoints();
    lr.withLastResort(view(ep('a2', '10.0.0.2'), ep('a3', '10.0.0.9')), deadSet());
    const table = view(ep('a3', '10.0.0.9'));
    expect(lr.withLastResort(table, deadSet('a2'))).toBe(table);
    expect(lr.serving).toEqual([]);
  });

  it('does not bring back what a live agent withdrew, even after that agent dies', () => {
    const lr = new LastResortEndpoints();
    lr.withLastResort(view(ep('a2', '10.0.0.2')), deadSet());
    lr.withLastResort(new Map(), deadSet()); // a2 withdrew its pod (deleted), then dies
    expect(lr.withLastResort(new Map(), deadSet('a2')).size).toBe(0);
  });

  it('stops once the dead agent is back and announcing for itself', () => {
    const lr = new LastResortEndpoints();
    lr.withLastResort(view(ep('a2', '10.0.0.2')), deadSet());
    expect(lr.withLastResort(new Map(), deadSet('a2')).get('default/hello')).toHaveLength(1);
    lr.withLastResort(new Map(), deadSet()); // back, with no pods
    expect(lr.withLastResort(new Map(), deadSet('a2')).size).toBe(0);
  });

  it("never keeps this node's own endpoints or unready ones as a last resort", () => {
    const lr = new LastResortEndpoints();
    lr.withLastResort(view(ep('me', '10.0.0.1', true, true), ep('a2', '10.0.0.2', false)), deadSet());
    expect(lr.withLastResort(new Map(), deadSet('me', 'a2')).size).toBe(0);
  });
});
