// The one way the dashboard talks to the GraphQL API: a typed POST to
// /t/{slug}/graphql as a signed-in person (the session cookie plus its
// X-CSRF-Token) or with an API token. Every failure becomes an ApiError
// carrying the server's extensions.code, so callers branch on codes, never
// on message text.
import type { TypedDocumentString } from '../gql/graphql';

/**
 * The server's extensions.code (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
 * BAD_USER_INPUT, CONFLICT, INTERNAL, …), or NETWORK when it was not reached.
 * Codes the dashboard does not know are kept as they are.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'INTERNAL'
  | 'NETWORK'
  | (string & {});

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** Seconds to wait before trying again (a 429's Retry-After). */
  readonly retryAfter?: number;
  constructor(message: string, code: ErrorCode, details: { status?: number; retryAfter?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = details.status;
    this.retryAfter = details.retryAfter;
  }
}

/**
 * How a request proves who sends it: the session cookie (sent by the
 * browser) with the session's CSRF token, or an API token.
 */
export type Credentials = { slug: string; token: string } | { slug: string; csrfToken: string };

export function authorizationHeaders(credentials: Credentials): Record<string, string> {
  return 'token' in credentials
    ? { Authorization: `Bearer ${credentials.token}` }
    : { 'X-CSRF-Token': credentials.csrfToken };
}

interface GraphQLErrorBody {
  message?: string;
  extensions?: { code?: string };
}

interface GraphQLResponseBody<R> {
  data?: R | null;
  errors?: GraphQLErrorBody[];
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 400 || status === 422) return 'BAD_USER_INPUT';
  return 'INTERNAL';
}

const statusMessages: Record<string, string | undefined> = {
  UNAUTHENTICATED: 'Your sign-in has ended. Sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'No such workspace.',
};

function operationName(query: string): string | undefined {
  return /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1];
}

export function graphqlPath(slug: string): string {
  return `/t/${encodeURIComponent(slug)}/graphql`;
}

export async function execute<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  credentials: Credentials,
  signal?: AbortSignal,
): Promise<R> {
  const query = document.toString();
  let response: Response;
  try {
    response = await fetch(graphqlPath(credentials.slug), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        ...authorizationHeaders(credentials),
      },
      body: JSON.stringify({ query, operationName: operationName(query), variables }),
      credentials: 'same-origin',
      signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError('Could not reach the server. Check your connection and try again.', 'NETWORK');
  }

  let body: GraphQLResponseBody<R> | undefined;
  try {
    body = (await response.json()) as GraphQLResponseBody<R>;
  } catch {
    body = undefined;
  }

  const first = body?.errors?.[0];
  if (first) {
    const code = first.extensions?.code || (response.ok ? 'INTERNAL' : codeForStatus(response.status));
    throw new ApiError(first.message || statusMessages[code] || 'The request failed.', code);
  }
  if (!response.ok || !body || body.data == null) {
    const code = response.ok ? 'INTERNAL' : codeForStatus(response.status);
    throw new ApiError(
      statusMessages[code] ?? `The server answered ${response.status} ${response.statusText}`.trim() + '.',
      code,
    );
  }
  return body.data;
}
