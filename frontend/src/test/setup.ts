import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach, vi } from 'vitest';
import { forgetAllSessions } from '../auth/session';

// Pages load lazily and fetch on mount: on a loaded machine (CI, helpers
// running in parallel) the first render can take over a second, the
// default wait of findBy*. Wait longer; a real failure still fails.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  forgetAllSessions();
  sessionStorage.clear();
  localStorage.clear();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});
