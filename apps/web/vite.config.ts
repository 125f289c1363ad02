import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite` (dev) proxies the API to a running `paddock up`; `vite build` writes dist/, which the
// server serves at `/`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/api': { target: process.env.PADDOCK_URL ?? 'http://127.0.0.1:7070', changeOrigin: true },
      '/ws': { target: process.env.PADDOCK_URL ?? 'http://127.0.0.1:7070', ws: true },
    },
  },
});
