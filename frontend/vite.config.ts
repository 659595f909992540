import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The Go server serves dist/ at '/', with every non-API path answered by
// index.html. dist/.gitkeep must survive a build (the binary embeds dist/
// and builds without Node), so Vite does not empty the folder:
// scripts/clean-dist.mjs does, sparing .gitkeep.
const devServer = 'http://127.0.0.1:8080';

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
    // `npm run dev` against a local `mandate serve` on :8080: the API goes
    // there, the hosted pages (/t/:slug/signin, …) stay with Vite. The
    // server only accepts cookie-authenticated posts from its own origin, so
    // the proxy presents the server's origin.
    proxy: {
      '^/t/[^/]+/(auth/|graphql)': {
        target: devServer,
        configure: (proxy) => proxy.on('proxyReq', (req) => req.getHeader('origin') && req.setHeader('origin', devServer)),
      },
      '/healthz': devServer,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
