import { afterEach, describe, expect, it, vi } from 'vitest';
import { authApi, parseRetryAfter, retryMessage } from './auth';
import { ApiError } from './client';

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  const fetchMock = vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers }));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

afterEach(() => vi.useRealTimers());

describe('sign-in endpoint client', () => {
  it('posts JSON with the CSRF header to the workspace path, same-origin', async () => {
    const fetchMock = answer(200, { revoked: 1 });
    await authApi.revokeSession('acme', 'csrf-x', '7');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/t/acme/auth/sessions/revoke');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-CSRF-Token': 'csrf-x' });
    expect(JSON.parse(String(init.body))).toEqual({ id: '7' });
  });

  it('accepts 204 with no body', async () => {
    answer(204, undefined);
    await expect(authApi.signOut('acme', 'c')).resolves.toBeUndefined();
  });

  it('turns problem JSON into ApiError with code, status and the detail as a sentence', async () => {
    answer(403, { status: 403, code: 'signup_closed', detail: 'sign-up is closed' });
    expect(await failure(authApi.signUp('acme', { email: 'a@b.c', password: 'x', name: '' }))).toMatchObject({
      code: 'signup_closed',
      status: 403,
      message: 'Sign-up is closed.',
    });
  });

  it('reads Retry-After on 429', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-20T10:00:00Z'), toFake: ['Date'] });
    answer(429, { code: 'rate_limited', detail: 'too many attempts; try again later' }, { 'Retry-After': '45' });
    const err = await failure(authApi.signIn('acme', { email: 'a@b.c', password: 'x' }));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfter).toBe(45);
    expect(err.message).toMatch(/^Too many attempts\. Try again in 45 seconds \(at .+\)\.$/);
  });

  it('reports an unreachable server as NETWORK', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    expect((await failure(authApi.session('acme'))).code).toBe('NETWORK');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:05:00 GMT', now)).toBe(300);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('says minutes above a minute, rounding up', () => {
    const now = new Date('2026-11-20T10:00:00Z');
    expect(retryMessage(1, now)).toMatch(/^Try again in 1 second /);
    expect(retryMessage(61, now)).toMatch(/^Try again in 2 minutes /);
    expect(retryMessage(3600, now)).toMatch(/^Try again in 60 minutes /);
  });
});
