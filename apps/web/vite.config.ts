import { env } from '@app/config';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development the SPA is served by Vite and the API by `pnpm start` (PORT):
// the browser talks to one origin, so the session cookie works as in production.
const api = `http://127.0.0.1:${env().PORT}`;

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      '/trpc': { target: api, changeOrigin: false },
      '/webhooks': { target: api, changeOrigin: false },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    // scripts/measure-bundle.mjs reads it to add up each screen's initial JavaScript.
    manifest: true,
  },
});
