import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The Go server serves dist/ at '/', with every non-API path answered by
// index.html. dist/.gitkeep must survive a build (the binary embeds dist/
// and builds without Node), so Vite does not empty the folder:
// scripts/clean-dist.mjs does, sparing .gitkeep.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: false,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a local `mandate serve` on :8080.
    proxy: {
      '/t/': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
