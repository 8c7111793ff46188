// Builds the web client into web/dist, which the server serves at `/`.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/client': { target: 'ws://127.0.0.1:8080', ws: true }, '/webrtc': 'http://127.0.0.1:8080', '/calls': 'http://127.0.0.1:8080', '/monitor': 'http://127.0.0.1:8080', '/health': 'http://127.0.0.1:8080' } },
});
