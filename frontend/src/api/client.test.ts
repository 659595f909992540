import { describe, expect, it, vi } from 'vitest';
import { SignInViewerQuery } from '../auth/session';
import { ApiError, execute } from './client';

const creds = { slug: 'acme', token: 'mdt_secret' };

function respond(status: number, body: string) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(body, { status, headers: { 'Content-Type': 'application/json' } })));
}

async function failure(): Promise<ApiError> {
  try {
    await execute(SignInViewerQuery, {}, creds);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('GraphQL client', () => {
  it('posts the query, operation name and variables with the bearer token to the workspace endpoint', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ data: { viewer: { kind: 'api_token' } } })));
    vi.stubGlobal('fetch', fetchMock);
    const data = await execute(SignInViewerQuery, {}, creds);
    expect(data.viewer.kind).toBe('api_token');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/t/acme/graphql');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer mdt_secret');
    const body = JSON.parse(String(init.body));
    expect(body.operationName).toBe('SignInViewer');
    expect(body.query).toContain('viewer');
    expect(body.variables).toEqual({});
  });

  it('keeps the extensions.code and message of the first error, known or not', async () => {
    respond(200, JSON.stringify({ data: null, errors: [{ message: 'bob is already a member', extensions: { code: 'CONFLICT' } }] }));
    expect(await failure()).toMatchObject({ code: 'CONFLICT', message: 'bob is already a member' });
  });

  it('reads the code from an HTTP error carrying GraphQL errors', async () => {
    respond(404, JSON.stringify({ errors: [{ message: 'workspace not found', extensions: { code: 'NOT_FOUND' } }] }));
    expect(await failure()).toMatchObject({ code: 'NOT_FOUND', message: 'workspace not found' });
  });

  it('maps a bare 401 to UNAUTHENTICATED', async () => {
    respond(401, 'unauthorised');
    expect((await failure()).code).toBe('UNAUTHENTICATED');
  });

  it('reports an unreachable server as NETWORK', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    expect((await failure()).code).toBe('NETWORK');
  });
});
