import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * What an action just did (an app or agent registered, agents suspended),
 * shown until Done. Done takes the focus, so a keyboard or screen reader
 * user lands on the result.
 */
export function ResultPanel({ title, children, onDone }: { title: string; children: ReactNode; onDone: () => void }) {
  const headingId = useId();
  const doneRef = useRef<HTMLButtonElement>(null);
  useEffect(() => doneRef.current?.focus(), []);
  return (
    <div className="card result-panel" role="region" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
      <button ref={doneRef} type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
