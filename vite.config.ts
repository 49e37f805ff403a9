import { defineConfig } from 'vite';

// The client lives in client/; the server serves dist/client in production and proxies to
// Vite in development (see scripts/dev.mjs).
export default defineConfig({
  root: 'client',
  build: { outDir: '../dist/client', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/socket.io': { target: 'http://127.0.0.1:3001', ws: true },
      '/healthz': 'http://127.0.0.1:3001',
      '/api': 'http://127.0.0.1:3001',
    },
  },
});
