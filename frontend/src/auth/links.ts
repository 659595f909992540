// The pages opened from an emailed link (verify-email, confirm-email) post
// its token as soon as they load. A link works once, so the post must
// happen once per page load even when React runs an effect twice
// (StrictMode) or the page re-renders: the promise is shared by token.
import { useEffect, useState } from 'react';

const spent = new Map<string, Promise<unknown>>();

export type LinkState = { state: 'pending' } | { state: 'done' } | { state: 'failed'; error: unknown };

/** Spends the link identified by key once, and follows the outcome. */
export function useSpendLink(key: string | null, spend: () => Promise<unknown>): LinkState {
  const [state, setState] = useState<LinkState>({ state: 'pending' });
  useEffect(() => {
    if (key === null) return;
    let current = true;
    let pending = spent.get(key);
    if (!pending) {
      pending = spend();
      spent.set(key, pending);
    }
    pending.then(
      () => current && setState({ state: 'done' }),
      (error: unknown) => current && setState({ state: 'failed', error }),
    );
    return () => {
      current = false;
    };
    // spend is read once per key, on purpose.
  }, [key]);
  return state;
}
