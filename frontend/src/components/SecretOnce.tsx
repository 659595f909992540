import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Status } from './Feedback';

interface SecretOnceProps {
  /** The heading: what was just created ("Token “ci” created"). */
  title: string;
  /** The secret's label, for screen readers ("New API token"). */
  label: string;
  secret: string;
  /** Why it matters, after "Copy it now: you will not see it again." */
  risk: ReactNode;
  /** What else to say before the secret (a client ID, which is not secret). */
  children?: ReactNode;
  onDone: () => void;
}

/**
 * Shows a secret the server returns once (a new API token, a client
 * secret). It lives only in its parent's state until Done: never in
 * storage, never logged.
 */
export function SecretOnce({ title, label, secret, risk, children, onDone }: SecretOnceProps) {
  const headingId = useId();
  const inputId = useId();
  const [copied, setCopied] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      inputRef.current?.select();
      setCopied('Copying was refused: the secret is selected, copy it with your keyboard.');
    }
  }

  return (
    <div className="card new-token" role="region" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
      <p className="warning">
        <strong>Copy it now: you will not see it again.</strong> {risk}
      </p>
      <div className="inline">
        <label htmlFor={inputId} className="visually-hidden">
          {label}
        </label>
        <input
          id={inputId}
          ref={inputRef}
          className="secret"
          readOnly
          value={secret}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <Status>{copied}</Status>
    </div>
  );
}
