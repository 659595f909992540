import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { isStepUpRequired, mfaApi, passkeyApi } from '../api/auth';
import { StepUpForm, type StepUpMethods } from './StepUpForm';

/** The person closed the step-up prompt: nothing was changed. */
export class StepUpCancelled extends Error {
  constructor() {
    super('Nothing was changed: you did not confirm it was you.');
    this.name = 'StepUpCancelled';
  }
}

export interface StepUp {
  /**
   * Runs fn; when the server answers that the session must authenticate
   * again (step_up_required), asks the person to (password, authenticator
   * code or passkey), then runs fn once more. fn must read the CSRF token
   * when it runs: the step-up replaces the session.
   */
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The prompt, while one is open (render it once on the page). */
  prompt: ReactNode;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Which ways the signed-in person can confirm it is them: their password
 * when they have one, an authenticator code and a passkey when they have
 * them (all offered when the server cannot say).
 */
export function useOwnStepUpMethods(slug: string, active: boolean): StepUpMethods | undefined {
  const [methods, setMethods] = useState<StepUpMethods>();
  useEffect(() => {
    if (!active) return;
    let current = true;
    Promise.allSettled([mfaApi.status(slug), passkeyApi.list(slug)]).then(([mfa, keys]) => {
      if (!current) return;
      setMethods({
        password: mfa.status === 'fulfilled' ? mfa.value.hasPassword !== false : true,
        totp: mfa.status === 'fulfilled' ? mfa.value.totp.enabled : true,
        passkey: keys.status === 'fulfilled' ? (keys.value.passkeys?.length ?? 0) > 0 : true,
      });
    });
    return () => {
      current = false;
    };
  }, [slug, active]);
  return methods;
}

export interface StepUpOptions {
  /**
   * The only ways that count: approving an agent's request needs a
   * passkey or an authenticator app (["passkey", "totp"]), a password is
   * not enough. All of them when absent.
   */
  allowed?: readonly (keyof StepUpMethods)[];
  /** What the prompt says the confirmation is for. */
  reason?: string;
}

/** methods, keeping only the allowed ones. */
function restrict(methods: StepUpMethods | undefined, allowed: StepUpOptions['allowed']): StepUpMethods | undefined {
  if (!methods || !allowed) return methods;
  return {
    password: allowed.includes('password') && !!methods.password,
    totp: allowed.includes('totp') && !!methods.totp,
    passkey: allowed.includes('passkey') && !!methods.passkey,
  };
}

/**
 * Step-up on demand for a page of sensitive changes. Without known
 * methods, they are asked for when the prompt opens. Render the prompt
 * outside any form.
 */
export function useStepUp(slug: string, email?: string, known?: StepUpMethods, options: StepUpOptions = {}): StepUp {
  const [pending, setPending] = useState<Pending | null>(null);
  const loaded = useOwnStepUpMethods(slug, pending !== null && known === undefined);
  const methods = restrict(known ?? loaded, options.allowed);
  const usable = !!methods && (!!methods.password || !!methods.totp || !!methods.passkey);
  const titleId = useId();
  const opener = useRef<Element | null>(null);

  const guard = useCallback(async <T,>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (!isStepUpRequired(err)) throw err;
      opener.current = document.activeElement;
      await new Promise<void>((resolve, reject) => setPending({ resolve, reject }));
      return fn();
    }
  }, []);

  function close(outcome: 'done' | 'cancelled') {
    const p = pending;
    setPending(null);
    const back = opener.current;
    setTimeout(() => {
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    });
    if (!p) return;
    if (outcome === 'done') p.resolve();
    else p.reject(new StepUpCancelled());
  }

  const prompt = pending ? (
    <div className="dialog-backdrop">
      <div className="card dialog" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId}>Confirm it is you</h2>
        <p>{options.reason ?? 'This change needs a recent sign-in. Confirm it is you to go on.'}</p>
        {methods && !usable ? (
          <>
            <p className="alert" role="alert">
              You have no way set up that can confirm this: add a passkey or an authenticator app on your{' '}
              <Link to={`/t/${encodeURIComponent(slug)}/security`}>Security page</Link>, then try again.
            </p>
            <button type="button" className="secondary" onClick={() => close('cancelled')}>
              Cancel
            </button>
          </>
        ) : methods ? (
          <StepUpForm
            slug={slug}
            methods={methods}
            email={email}
            onDone={() => close('done')}
            onCancel={() => close('cancelled')}
          />
        ) : (
          <p role="status">Loading…</p>
        )}
      </div>
    </div>
  ) : null;

  return { guard, prompt };
}
