// A fake of the server's GraphQL endpoint at the fetch boundary, and a way to
// render the whole app at a URL. Handlers are keyed by operation name and
// return what the server would: { data } or { errors }.
import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { vi } from 'vitest';
import { App } from '../App';
import { storageKey } from '../auth/session';

export interface Call {
  url: string;
  operationName: string;
  query: string;
  variables: Record<string, unknown>;
  authorization: string | undefined;
}

type Handler = (variables: Record<string, unknown>) => unknown;

export function mockServer(handlers: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as {
      query: string;
      operationName: string;
      variables: Record<string, unknown>;
    };
    const headers = init.headers as Record<string, string>;
    calls.push({
      url,
      operationName: body.operationName,
      query: body.query,
      variables: body.variables,
      authorization: headers.Authorization,
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
    callsTo: (operationName: string) => calls.filter((c) => c.operationName === operationName),
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

export function viewerHandler(viewer = acmeOwner) {
  return () => ({ data: { viewer } });
}

export function signedIn(slug = 'acme', token = 'mdt_test_secret') {
  sessionStorage.setItem(storageKey, JSON.stringify({ slug, token }));
}

function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
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
