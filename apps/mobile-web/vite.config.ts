import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const root = path.resolve(__dirname, '../..');

// The broker serves the build at /app/ (apps/cloud-broker/src/mobile-app); tools/build.js
// writes it to dist/apps/mobile-web.
export default defineConfig({
  base: '/app/',
  resolve: {
    alias: {
      '@lanbridge/mobile-sdk': path.join(root, 'libs/mobile-sdk/src/index.ts'),
      '@lanbridge/mobile-api': path.join(root, 'libs/mobile-api/src/index.ts'),
    },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      treeshake: {
        // @ionic/react's proxies and @ionic/core's component modules declare no sideEffects, so
        // every component (1 MB) would be bundled; each only defines its element when used.
        moduleSideEffects: (id: string) =>
          !/node_modules\/(@ionic\/core\/components\/ion-[\w-]+\.js|@ionic\/react\/dist\/index\.js)$/.test(id),
      },
    },
  },
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      // A <script src> tag, never an inline script (the broker's CSP has no 'unsafe-inline').
      injectRegister: 'script',
      filename: 'sw.js',
      scope: '/app/',
      includeAssets: ['icon.svg'],
      manifest: {
        id: '/app/',
        name: 'Lanbridge',
        short_name: 'Lanbridge',
        description: 'Doors, alarms, visitors and credentials of your site, from your phone.',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#0b1f33',
        theme_color: '#1560bd',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The offline shell: every built file is precached; navigations fall back to the shell.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        navigateFallback: '/app/index.html',
        navigateFallbackAllowlist: [/^\/app\//],
        // Web Push: show the alarm, open it on tap (public/push-sw.js).
        importScripts: ['push-sw.js'],
        cleanupOutdatedCaches: true,
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
    }),
  ],
});
