import { describe, expect, it } from 'vitest';
import { ingressPortChoices, kernelFastPathWanted } from '../../../agent/src/node/edge-config.ts';
import { tlsSecretOf } from '../../../agent/src/node/edge-data-plane.ts';

describe('ingressPortChoices', () => {
  it('uses API port + 500/+600 for agents sharing a machine', () => {
    expect(ingressPortChoices('127.0.0.2', 24_002, undefined)).toEqual([{ http: 24_502, https: 24_602 }]);
  });
  it('tries 80/443 first on a machine of its own, then the high ports', () => {
    expect(ingressPortChoices('10.0.0.5', 6443, undefined)).toEqual([
      { http: 80, https: 443 },
      { http: 6943, https: 7043 },
    ]);
  });
  it('takes the operator setting, "off", and rejects a malformed one', () => {
    expect(ingressPortChoices('10.0.0.5', 6443, '8080,8443')).toEqual([{ http: 8080, https: 8443 }]);
    expect(ingressPortChoices('127.0.0.1', 6443, 'off')).toBe('off');
    expect(ingressPortChoices('10.0.0.5', 6443, '8080')).toBeInstanceOf(Error);
    expect(ingressPortChoices('10.0.0.5', 6443, '80,80')).toBeInstanceOf(Error);
    expect(ingressPortChoices('10.0.0.5', 6443, '0,70000')).toBeInstanceOf(Error);
  });
});

describe('kernelFastPathWanted', () => {
  it('needs the flag and an address of its own', () => {
    expect(kernelFastPathWanted('10.0.0.5', undefined).wanted).toBe(false);
    expect(kernelFastPathWanted('10.0.0.5', '1').wanted).toBe(true);
    expect(kernelFastPathWanted('10.0.0.5', 'true').wanted).toBe(true);
    const loop = kernelFastPathWanted('127.0.0.3', '1');
    expect(loop.wanted).toBe(false);
    expect(loop.reason).toMatch(/loopback/);
  });
});

describe('tlsSecretOf', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('decodes a kubernetes.io/tls Secret and ignores other types', () => {
    const data = { 'tls.crt': b64('CERT'), 'tls.key': b64('KEY') };
    expect(
      tlsSecretOf({ metadata: { namespace: 'web', name: 's' }, type: 'kubernetes.io/tls', data }),
    ).toEqual({ namespace: 'web', name: 's', cert: 'CERT', key: 'KEY' });
    expect(tlsSecretOf({ metadata: { name: 's' }, type: 'Opaque', data })).toBeUndefined();
    expect(
      tlsSecretOf({ metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': b64('C') } }),
    ).toBeUndefined();
  });
});
