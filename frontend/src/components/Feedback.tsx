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
