// React glue over the client: requests carry the workspace's session (from
// the :slug in the URL), and an UNAUTHENTICATED answer anywhere ends the
// session and goes to the workspace's sign-in page.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';
import type { TypedDocumentString } from '../gql/graphql';
import { credentialsOf, forgetSession, getSession } from '../auth/session';
import { ApiError, execute } from './client';

/** What a page that sends someone to sign in passes along (router state). */
export interface SignInState {
  /** Why they must sign in (shown as an alert). */
  message?: string;
  /** What just happened ("You are signed out."), shown politely. */
  notice?: string;
  /** Prefills the workspace of the dashboard's sign-in pages. */
  slug?: string;
  /** Where to go after signing in (a path in the same workspace). */
  next?: string;
  /** Prefills the email field. */
  email?: string;
}

/** The workspace's hosted sign-in page. */
export function signInPath(slug: string): string {
  return `/t/${encodeURIComponent(slug)}/signin`;
}

export type Run = <R, V>(document: TypedDocumentString<R, V>, variables: V) => Promise<R>;

/** Returns a function that runs a document as the signed-in session. */
export function useApi(): Run {
  const navigate = useNavigate();
  const { slug = '' } = useParams();
  // Read when a request fails, so moving between pages does not refetch.
  const here = useRef('');
  here.current = useLocation().pathname;
  return useCallback<Run>(
    async (document, variables) => {
      const session = getSession(slug);
      if (!session) {
        navigate(signInPath(slug), { replace: true, state: { next: here.current } satisfies SignInState });
        throw new ApiError('Sign in to continue.', 'UNAUTHENTICATED');
      }
      try {
        return await execute(document, variables, credentialsOf(session));
      } catch (err) {
        if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') {
          forgetSession(slug);
          const state: SignInState = { message: err.message, next: here.current };
          navigate(signInPath(slug), { replace: true, state });
        }
        throw err;
      }
    },
    [navigate, slug],
  );
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return 'Something went wrong.';
}

export interface QueryState<R> {
  data: R | undefined;
  error: string | undefined;
  loading: boolean;
  refetch: () => Promise<void>;
}

/** Runs a query when mounted and whenever its variables change. */
export function useQuery<R, V>(document: TypedDocumentString<R, V>, variables: V): QueryState<R> {
  const run = useApi();
  const [data, setData] = useState<R>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const key = JSON.stringify(variables);
  const latest = useRef(0);

  const load = useCallback(async () => {
    const id = ++latest.current;
    setLoading(true);
    try {
      const result = await run(document, JSON.parse(key) as V);
      if (id !== latest.current) return;
      setData(result);
      setError(undefined);
    } catch (err) {
      if (id !== latest.current) return;
      setError(errorMessage(err));
    } finally {
      if (id === latest.current) setLoading(false);
    }
  }, [run, document, key]);

  useEffect(() => {
    void load();
  }, [load]);

  return { data, error, loading, refetch: load };
}

export interface Connection<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges?: ReadonlyArray<{ node?: N | null } | null> | null;
}

export interface PaginationVariables {
  first?: number | null;
  after?: string | null;
}

export interface PaginatedState<N> {
  nodes: N[];
  totalCount: number;
  hasNextPage: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: string | undefined;
  loadMore: () => Promise<void>;
  /** Fetches again from the start, keeping as many rows as are shown. */
  reload: () => Promise<void>;
}

/**
 * A Relay connection read page by page: the first page when mounted or when
 * the variables change, then each next page from the last endCursor.
 */
export function usePaginated<R, V extends PaginationVariables, N>(
  document: TypedDocumentString<R, V>,
  variables: Omit<V, 'first' | 'after'>,
  select: (result: R) => Connection<N>,
  pageSize = 25,
): PaginatedState<N> {
  const run = useApi();
  const [nodes, setNodes] = useState<N[]>([]);
  const [totalCount, setTotalCount] = useState(0);
  const [pageInfo, setPageInfo] = useState<{ hasNextPage: boolean; endCursor?: string | null }>({
    hasNextPage: false,
  });
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string>();
  const key = JSON.stringify(variables);
  const latest = useRef(0);
  const shown = useRef(0);
  const selectRef = useRef(select);
  selectRef.current = select;

  const fetchPage = useCallback(
    async (first: number, after: string | null | undefined, append: boolean) => {
      const id = ++latest.current;
      if (append) setLoadingMore(true);
      else setLoading(true);
      try {
        const vars = { ...(JSON.parse(key) as object), first, ...(after ? { after } : {}) } as V;
        const connection = selectRef.current(await run(document, vars));
        if (id !== latest.current) return;
        const page = (connection.edges ?? []).flatMap((edge) => (edge?.node ? [edge.node] : []));
        setNodes((previous) => {
          const next = append ? [...previous, ...page] : page;
          shown.current = next.length;
          return next;
        });
        setTotalCount(connection.totalCount);
        setPageInfo(connection.pageInfo);
        setError(undefined);
      } catch (err) {
        if (id !== latest.current) return;
        setError(errorMessage(err));
      } finally {
        if (id === latest.current) {
          setLoading(false);
          setLoadingMore(false);
        }
      }
    },
    [run, document, key],
  );

  useEffect(() => {
    shown.current = 0;
    void fetchPage(pageSize, null, false);
  }, [fetchPage, pageSize]);

  const loadMore = useCallback(async () => {
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) return;
    await fetchPage(pageSize, pageInfo.endCursor, true);
  }, [fetchPage, pageInfo, pageSize]);

  const reload = useCallback(
    () => fetchPage(Math.max(pageSize, shown.current + 1), null, false),
    [fetchPage, pageSize],
  );

  return {
    nodes,
    totalCount,
    hasNextPage: pageInfo.hasNextPage,
    loading,
    loadingMore,
    error,
    loadMore,
    reload,
  };
}

export interface Action {
  busy: boolean;
  error: string | undefined;
  /** The last failure itself, for pages that branch on its code. */
  failure: unknown;
  /** Runs fn, keeping busy and the error message while it does. Resolves true on success. */
  run: (fn: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
}

/** The state of one form's submission: busy, and the failure to show. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      if (mounted.current) setFailure(err);
      return false;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setFailure(undefined), []);
  return { busy, error: failure === undefined ? undefined : errorMessage(failure), failure, run, clear };
}
