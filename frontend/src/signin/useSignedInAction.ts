import { useCallback } from 'react';
import { useNavigate } from 'react-router';
import { isSessionEnded } from '../api/auth';
import { errorMessage, signInPath, useAction, type Action, type SignInState } from '../api/hooks';
import { forgetSession } from '../auth/session';

/**
 * Runs a cookie-authenticated change; an ended session (401) goes to the
 * sign-in page, which comes back to `page` (a hosted page of the
 * workspace: "account", "security"), instead of showing an error.
 */
export function useSignedInAction(slug: string, page: string): Action {
  const action = useAction();
  const navigate = useNavigate();
  const { run } = action;
  const guarded = useCallback(
    (fn: () => Promise<void>) =>
      run(async () => {
        try {
          await fn();
        } catch (err) {
          if (isSessionEnded(err)) {
            forgetSession(slug);
            const state: SignInState = { message: errorMessage(err), next: `/t/${encodeURIComponent(slug)}/${page}` };
            navigate(signInPath(slug), { replace: true, state });
          }
          throw err;
        }
      }),
    [run, slug, page, navigate],
  );
  return { ...action, run: guarded };
}
