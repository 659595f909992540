import type { ReactNode } from 'react';

/** A failure the person must read: announced at once by screen readers. */
export function Alert({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <p className="alert" role="alert">
      {children}
    </p>
  );
}

/** A polite confirmation ("Saved."), announced without interrupting. */
export function Status({ children }: { children: ReactNode }) {
  return (
    <p className="status" role="status" aria-live="polite">
      {children}
    </p>
  );
}

/** Every problem with a form at once, announced like an Alert; nothing when there are none. */
export function Problems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return null;
  return (
    <div className="alert" role="alert">
      {problems.length === 1 ? (
        problems[0]
      ) : (
        <ul>
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
