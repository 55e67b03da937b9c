import { describe, expect, it } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  forbiddenError,
  generateClusterKey,
  hashToken,
  type Identity,
  type ResourceAttributes,
  RoleAuthorizer,
  sealSecret,
  serviceAccountIdentity,
  TokenAuthenticator,
  unsealSecret,
} from '../../../agent/src/auth/index.ts';

const attrs = (over: Partial<ResourceAttributes>): ResourceAttributes => ({
  verb: 'list',
  group: '',
  resource: 'pods',
  subresource: '',
  namespace: 'default',
  name: '',
  namespaced: true,
  ...over,
});

describe('bearer tokens', () => {
  it('authenticates an issued token and nothing else', () => {
    const auth = new TokenAuthenticator();
    const alice: Identity = { name: 'alice', groups: ['system:authenticated'] };
    const { token, record } = auth.issue(alice);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.sha256).toBe(hashToken(token));
    expect(JSON.stringify(record)).not.toContain(token);
    expect(auth.authenticate(`Bearer ${token}`)).toEqual(alice);
    expect(auth.authenticate(`bearer ${token}`)).toEqual(alice);
    expect(auth.authenticate(`Bearer ${token}x`)).toBeUndefined();
    expect(auth.authenticate(undefined)).toBeUndefined();
    expect(auth.authenticate(`Basic ${token}`)).toBeUndefined();
    expect(auth.authenticate('Bearer')).toBeUndefined();
  });
  it('restores from stored hashes and revokes', () => {
    const first = new TokenAuthenticator();
    const { token, record } = first.issue({ name: 'bob', groups: [] });
    const restored = new TokenAuthenticator([record]);
    expect(restored.authenticate(`Bearer ${token}`)?.name).toBe('bob');
    restored.revoke(record.sha256);
    expect(restored.authenticate(`Bearer ${token}`)).toBeUndefined();
  });
});

describe('role authorizer', () => {
  const authz = new RoleAuthorizer([
    { role: 'cluster-admin', user: 'admin' },
    { role: 'edit', user: 'dev', namespace: 'team' },
    { role: 'view', group: 'viewers' },
  ]);
  const admin: Identity = { name: 'admin', groups: [] };
  const dev: Identity = { name: 'dev', groups: [] };
  const viewer: Identity = { name: 'vic', groups: ['viewers'] };
  const stranger: Identity = { name: 'x', groups: ['system:authenticated'] };

  it('cluster-admin may do anything, including cluster-scoped writes', () => {
    expect(
      authz.authorize(admin, attrs({ verb: 'delete', resource: 'nodes', namespaced: false, namespace: '' })),
    ).toBe(true);
  });
  it('edit writes only in its namespace, including secrets and scale', () => {
    expect(authz.authorize(dev, attrs({ verb: 'create', namespace: 'team' }))).toBe(true);
    expect(authz.authorize(dev, attrs({ verb: 'get', resource: 'secrets', namespace: 'team' }))).toBe(true);
    expect(
      authz.authorize(
        dev,
        attrs({
          verb: 'patch',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
          namespace: 'team',
        }),
      ),
    ).toBe(true);
    expect(authz.authorize(dev, attrs({ verb: 'create', namespace: 'default' }))).toBe(false);
    expect(authz.authorize(dev, attrs({ verb: 'list', namespace: '' }))).toBe(false);
    expect(
      authz.authorize(
        dev,
        attrs({ verb: 'get', resource: 'namespaces', name: 'team', namespaced: false, namespace: '' }),
      ),
    ).toBe(true);
    expect(
      authz.authorize(
        dev,
        attrs({ verb: 'delete', resource: 'namespaces', name: 'team', namespaced: false, namespace: '' }),
      ),
    ).toBe(false);
  });
  it('view reads everywhere but never secrets, and never writes', () => {
    expect(authz.authorize(viewer, attrs({ verb: 'watch', namespace: 'any' }))).toBe(true);
    expect(authz.authorize(viewer, attrs({ verb: 'list', namespace: '' }))).toBe(true);
    expect(authz.authorize(viewer, attrs({ verb: 'get', resource: 'secrets' }))).toBe(false);
    expect(authz.authorize(viewer, attrs({ verb: 'update' }))).toBe(false);
    expect(
      authz.authorize(viewer, attrs({ verb: 'list', resource: 'nodes', namespaced: false, namespace: '' })),
    ).toBe(false);
  });
  it('system:masters and unbound users', () => {
    expect(authz.authorize({ name: 'y', groups: ['system:masters'] }, attrs({ verb: 'delete' }))).toBe(true);
    expect(authz.authorize(stranger, attrs({ verb: 'get' }))).toBe(false);
  });
  it('ServiceAccounts edit their own namespace only', () => {
    const sa = serviceAccountIdentity('shop', 'default');
    expect(sa.name).toBe('system:serviceaccount:shop:default');
    expect(authz.authorize(sa, attrs({ verb: 'create', namespace: 'shop' }))).toBe(true);
    expect(authz.authorize(sa, attrs({ verb: 'get', namespace: 'default' }))).toBe(false);
  });
  it('words Forbidden as Kubernetes does', () => {
    expect(forbiddenError(stranger, attrs({})).message).toBe(
      'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    expect(
      forbiddenError(
        stranger,
        attrs({ verb: 'get', group: 'apps', resource: 'deployments', subresource: 'scale', name: 'web' }),
      ).message,
    ).toBe(
      'deployments.apps "web" is forbidden: User "x" cannot get resource "deployments/scale" in API group "apps" in the namespace "default"',
    );
    const err = forbiddenError(stranger, attrs({ resource: 'nodes', namespace: '', namespaced: false }));
    expect(err.message).toBe(
      'nodes is forbidden: User "x" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(err.code).toBe(403);
  });
});

describe('secret encryption at rest', () => {
  const k1 = generateClusterKey('k1');
  const k2 = generateClusterKey('k2');
  const data = Buffer.from('{"password":"hunter2"}');

  it('round-trips and never contains the plaintext', () => {
    const sealed = encryptSecret(data, 'secrets/default/db', k1);
    expect(sealed.startsWith('kedge:aesgcm:v1:k1:')).toBe(true);
    expect(sealed).not.toContain('hunter2');
    expect(Buffer.from(sealed.split(':')[4]!, 'base64').toString('latin1')).not.toContain('hunter2');
    expect(Buffer.from(decryptSecret(sealed, 'secrets/default/db', [k1])).toString()).toBe(data.toString());
    expect(encryptSecret(data, 'secrets/default/db', k1)).not.toBe(sealed);
  });
  it('decrypts old entries after rotation by the key id they name', () => {
    const old = encryptSecret(data, 'secrets/a/b', k1);
    const fresh = encryptSecret(data, 'secrets/a/b', k2);
    const keyring = [k2, k1];
    expect(Buffer.from(decryptSecret(old, 'secrets/a/b', keyring)).toString()).toBe(data.toString());
    expect(Buffer.from(decryptSecret(fresh, 'secrets/a/b', keyring)).toString()).toBe(data.toString());
    expect(() => decryptSecret(old, 'secrets/a/b', [k2])).toThrow(
      expect.objectContaining({ kind: 'UnknownKey' }),
    );
  });
  it('rejects tampering, truncation and moving to another object', () => {
    const sealed = encryptSecret(data, 'secrets/a/b', k1);
    const bytes = Buffer.from(sealed.split(':')[4]!, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    const tampered = `kedge:aesgcm:v1:k1:${bytes.toString('base64')}`;
    expect(() => decryptSecret(tampered, 'secrets/a/b', [k1])).toThrow(
      expect.objectContaining({ kind: 'Corrupt' }),
    );
    expect(() => decryptSecret(sealed.slice(0, 40), 'secrets/a/b', [k1])).toThrow(
      expect.objectContaining({ kind: 'Corrupt' }),
    );
    expect(() => decryptSecret(sealed, 'secrets/a/c', [k1])).toThrow(
      expect.objectContaining({ kind: 'Corrupt' }),
    );
    expect(() => decryptSecret('plain', 'secrets/a/b', [k1])).toThrow(
      expect.objectContaining({ kind: 'NotEncrypted' }),
    );
  });
  it('refuses keys of the wrong size or with bad ids', () => {
    expect(() => encryptSecret(data, 'x', { id: 'k', key: new Uint8Array(16) })).toThrow(/32 bytes/);
    expect(() => generateClusterKey('bad:id')).toThrow(/letters/);
  });
});

describe('sealed Secrets (the Raft log and snapshot form)', () => {
  const k1 = generateClusterKey('k1');
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'shop', labels: { app: 'db' }, resourceVersion: '7' },
    type: 'Opaque',
    data: { password: Buffer.from('hunter2').toString('base64') },
  };
  it('hides data but keeps metadata and type readable, and round-trips', () => {
    const sealed = sealSecret(secret, k1);
    const text = JSON.stringify(sealed);
    expect(text).not.toContain(secret.data.password);
    expect(text).not.toContain('hunter2');
    expect(sealed).toMatchObject({ metadata: { name: 'db', labels: { app: 'db' } }, type: 'Opaque' });
    expect(sealed).not.toHaveProperty('data');
    expect(unsealSecret(sealed, [k1])).toEqual(secret);
  });
  it('refuses a sealed Secret renamed or moved to another namespace', () => {
    const sealed = sealSecret(secret, k1);
    const moved = { ...sealed, metadata: { ...sealed.metadata, namespace: 'other' } };
    expect(() => unsealSecret(moved, [k1])).toThrow(expect.objectContaining({ kind: 'Corrupt' }));
  });
  it('passes unsealed Secrets through', () => {
    expect(unsealSecret(secret, [k1])).toBe(secret);
  });
});
