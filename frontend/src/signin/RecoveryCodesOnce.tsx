import { useEffect, useId, useRef, useState } from 'react';
import { Status } from '../components/Feedback';

interface RecoveryCodesOnceProps {
  codes: string[];
  /** The heading ("Save your recovery codes"). */
  title?: string;
  /** The button that closes the list ("Continue", "Done"). */
  doneLabel?: string;
  onDone: () => void;
}

/**
 * Recovery codes the server returns once (the first authenticator app, a
 * regeneration). They live only in the parent's state until Done: never
 * stored, never logged.
 */
export function RecoveryCodesOnce({ codes, title = 'Save your recovery codes', doneLabel = 'I saved them, continue', onDone }: RecoveryCodesOnceProps) {
  const headingId = useId();
  const [copied, setCopied] = useState('');
  const listRef = useRef<HTMLOListElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      setCopied('Copied to the clipboard.');
    } catch {
      const range = document.createRange();
      if (listRef.current) {
        range.selectNodeContents(listRef.current);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
      }
      setCopied('Copying was refused: the codes are selected, copy them with your keyboard.');
    }
  }

  return (
    <div className="card recovery-codes" role="region" aria-labelledby={headingId}>
      <h2 id={headingId} ref={headingRef} tabIndex={-1}>
        {title}
      </h2>
      <p className="warning">
        <strong>You will not see these codes again.</strong> Each one signs you in once if you lose your authenticator app
        or passkey. Keep them somewhere safe, apart from your password.
      </p>
      <ol ref={listRef} className="code-list" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="inline">
        <button type="button" className="secondary" onClick={() => void copy()}>
          Copy the codes
        </button>
        <button type="button" onClick={onDone}>
          {doneLabel}
        </button>
      </div>
      <Status>{copied}</Status>
    </div>
  );
}
