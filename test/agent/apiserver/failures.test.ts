/** What clients see when the backend cannot answer: 503 with Retry-After, 504, 500 — always a Status. */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceUnavailable } from '../../../agent/src/api/errors.ts';
import { RESOURCES } from '../../../agent/src/api/registry.ts';
import type { ObjectBackend } from '../../../agent/src/apiserver/backend.ts';
import { type ApiServer, createApiServer } from '../../../agent/src/apiserver/server.ts';
import { RoleAuthorizer } from '../../../agent/src/auth/authorizer.ts';
import { TokenAuthenticator } from '../../../agent/src/auth/tokens.ts';

const servers: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(fail: () => Promise<never>, requestTimeoutMs = 5_000) {
  const backend: ObjectBackend = {
    get: fail,
    list: fail,
    create: fail,
    update: fail,
    delete: fail,
    watch: fail,
  };
  const authenticator = new TokenAuthenticator();
  const { token } = authenticator.issue({ name: 'admin', groups: ['system:masters'] });
  const internalErrors: unknown[] = [];
  const api = createApiServer({
    backend,
    resources: RESOURCES,
    authenticator,
    authorizer: new RoleAuthorizer([]),
    version: { major: '1', minor: '33', gitVersion: 'v1.33.0-kedge' },
    requestTimeoutMs,
    onInternalError: (error) => internalErrors.push(error),
  });
  servers.push(api);
  const { port } = (await api.listen(0, '127.0.0.1')) as AddressInfo;
  const get = (path: string) =>
    new Promise<{
      status: number;
      retryAfter: string | undefined;
      body: { reason: string; code: number; message: string };
    }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, headers: { Authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: JSON.parse(text),
          }),
        );
      })
        .on('error', reject)
        .end();
    });
  return { get, internalErrors };
}

describe('backend failures', () => {
  it('passes ServiceUnavailable through with Retry-After (an election in progress)', async () => {
    const { get } = await serve(async () => {
      throw serviceUnavailable('no leader: an election is in progress; retry shortly', 1);
    });
    const reply = await get('/api/v1/namespaces/default/pods/x');
    expect(reply.status).toBe(503);
    expect(reply.retryAfter).toBe('1');
    expect(reply.body).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
  });
  it('answers 504 Timeout when the backend does not answer in time', async () => {
    const { get } = await serve(() => new Promise<never>(() => {}), 200);
    const reply = await get('/api/v1/namespaces/default/pods');
    expect(reply.status).toBe(504);
    expect(reply.body.reason).toBe('Timeout');
  });
  it('turns an unexpected error into a 500 InternalError Status and reports it', async () => {
    const { get, internalErrors } = await serve(async () => {
      throw new Error('disk on fire');
    });
    const reply = await get('/apis/apps/v1/namespaces/default/deployments/web');
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({
      reason: 'InternalError',
      message: 'Internal error occurred: disk on fire',
    });
    expect(internalErrors).toHaveLength(1);
  });
});
