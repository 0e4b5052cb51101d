import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Vite resolves the relative paths below against `root`. `import.meta.dirname`
// keeps this file free of Node imports, which the renderer's lint rules reject.
const rendererDir = import.meta.dirname;

/**
 * Address of a running `scout serve`, such as http://127.0.0.1:8080, for the
 * dev server to forward /api calls and events to. Open the dev page with
 * that server's `?token=...`.
 */
const apiTarget = process.env.SCOUT_SERVER_URL;

/**
 * Builds the renderer into dist/renderer. `base: './'` makes every asset URL
 * relative, so the same build loads from file:// in Electron and from `/` in web mode.
 */
export default defineConfig({
  root: rendererDir,
  base: './',
  // The repository's node_modules, so a dev run leaves no renderer/node_modules behind.
  cacheDir: '../node_modules/.vite-renderer',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // The renderer imports the search-space code and the API contract from ../shared.
    fs: { allow: ['.', '../shared'] },
    proxy: apiTarget ? { '/api': { target: apiTarget, ws: true } } : undefined,
  },
});
