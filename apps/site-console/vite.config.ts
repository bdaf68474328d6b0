import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built by tools/build.js into dist/apps/site-console; access-core serves it at `/`.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 2500,
  },
});
