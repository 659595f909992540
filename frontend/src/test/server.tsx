// A fake of the server at the fetch boundary, and a way to render the whole
// app at a URL. GraphQL handlers are keyed by operation name and return what
// the server would: { data } or { errors }. Sign-in endpoint handlers are
// keyed by "METHOD endpoint" ("POST signin", "GET session") and return a
// status, a JSON body and headers; `GET session` answers 401 unless given.
import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { vi } from 'vitest';
import { App } from '../App';
import type { SignedIn } from '../api/auth';
import { storageKey } from '../auth/session';

export interface Call {
  url: string;
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
  authorization: string | undefined;
  csrfToken: string | undefined;
  credentials: RequestCredentials | undefined;
}

export interface AuthCall {
  url: string;
  method: string;
  endpoint: string;
  body: Record<string, unknown> | undefined;
  csrfToken: string | undefined;
  credentials: RequestCredentials | undefined;
}

export interface AuthAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (variables: Record<string, unknown>) => unknown;
type AuthHandler = (body: Record<string, unknown> | undefined, call: AuthCall) => AuthAnswer;

export function problem(status: number, code: string, detail: string, headers: Record<string, string> = {}): AuthAnswer {
  return { status, body: { type: 'about:blank', status, code, detail }, headers };
}

const noSession: AuthHandler = () => problem(401, 'no_session', 'sign in first');

export function mockServer(handlers: Record<string, Handler>, auth: Record<string, AuthHandler> = {}) {
  const calls: Call[] = [];
  const authCalls: AuthCall[] = [];
  const authHandlers: Record<string, AuthHandler> = { 'GET session': noSession, ...auth };
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const authMatch = /^\/t\/[^/]+\/auth\/(.+)$/.exec(url);
    if (authMatch) {
      const method = init.method ?? 'GET';
      const call: AuthCall = {
        url,
        method,
        endpoint: authMatch[1]!,
        body: init.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined,
        csrfToken: headers['X-CSRF-Token'],
        credentials: init.credentials,
      };
      authCalls.push(call);
      const handler = authHandlers[`${method} ${call.endpoint}`];
      const answer = handler ? handler(call.body, call) : problem(404, 'not_found', `no mock for ${method} ${call.endpoint}`);
      const body = answer.body === undefined ? null : JSON.stringify(answer.body);
      return new Response(answer.status === 204 ? null : body, {
        status: answer.status,
        headers: { 'Content-Type': answer.status < 400 ? 'application/json' : 'application/problem+json', ...answer.headers },
      });
    }
    const body = JSON.parse(String(init.body)) as {
      query: string;
      operationName: string;
      variables: Record<string, unknown>;
    };
    calls.push({
      url,
      operationName: body.operationName,
      query: body.query,
      variables: body.variables,
      authorization: headers.Authorization,
      csrfToken: headers['X-CSRF-Token'],
      credentials: init.credentials,
    });
    const handler = handlers[body.operationName];
    const payload = handler
      ? handler(body.variables)
      : { errors: [{ message: `no mock for ${body.operationName}`, extensions: { code: 'INTERNAL' } }] };
    return new Response(JSON.stringify(payload), { status: 200, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    calls,
    authCalls,
    callsTo: (operationName: string) => calls.filter((c) => c.operationName === operationName),
    authCallsTo: (method: string, endpoint: string) =>
      authCalls.filter((c) => c.method === method && c.endpoint === endpoint),
  };
}

export function graphQLError(message: string, code: string) {
  return { errors: [{ message, path: [], extensions: { code } }], data: null };
}

export const acmeOwner = {
  kind: 'api_token',
  id: '17179869185',
  label: 'e2e',
  role: 'owner',
  tenant: { id: '4294967297', slug: 'acme', name: 'Acme' },
};

export const annHuman = {
  kind: 'human',
  id: '8589934593',
  label: 'ann@acme.test',
  role: 'owner',
  tenant: { id: '4294967297', slug: 'acme', name: 'Acme' },
};

export function viewerHandler(viewer = acmeOwner) {
  return () => ({ data: { viewer } });
}

/** What `POST signin` and `GET session` answer for Ann. */
export function annSignedIn(csrfToken = 'csrf-1'): SignedIn {
  return {
    user: { id: '8589934593', email: 'ann@acme.test', name: 'Ann', role: 'owner' },
    session: { id: '42', amr: ['pwd'], authTime: '2026-11-20T10:00:00Z', expiresAt: '2026-11-20T22:00:00Z' },
    csrfToken,
  };
}

/** Signed in with an API token (kept in sessionStorage). */
export function signedIn(slug = 'acme', token = 'mdt_test_secret') {
  sessionStorage.setItem(storageKey, JSON.stringify({ slug, token }));
}

function LocationProbe() {
  const location = useLocation();
  return (
    <>
      <output data-testid="location">{location.pathname}</output>
      <output data-testid="search">{location.search}</output>
    </>
  );
}

export function renderApp(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App />
      <LocationProbe />
    </MemoryRouter>,
  );
}

export function connection<N>(nodes: N[], pageInfo: { hasNextPage: boolean; endCursor: string | null }, totalCount = nodes.length) {
  return {
    totalCount,
    pageInfo: { hasPreviousPage: false, startCursor: null, ...pageInfo },
    edges: nodes.map((node, i) => ({ cursor: `c${i}`, node })),
  };
}
