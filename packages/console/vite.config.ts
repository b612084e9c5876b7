/**
 * Builds the console into dist/, which the server serves at / (with an
 * index.html fallback for client-side routes). Everything is bundled: the
 * page loads nothing from outside its own origin (CSP default-src 'self').
 *
 * `npm run dev -w @kotwal/console` proxies /api to a local server
 * (KOTWAL_API_URL, default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Node's `process`, declared here so the console's browser types stay free of @types/node.
declare const process: { env: Record<string, string | undefined> };
const apiTarget = process.env['KOTWAL_API_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inlined assets: every file is served from 'self' with its own hash.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  preview: {
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
});
