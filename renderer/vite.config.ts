import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const rendererDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = resolve(rendererDir, '..');

/**
 * Builds the renderer into dist/renderer. `base: './'` makes every asset URL
 * relative, so the same build loads from file:// in Electron and from `/` in web mode.
 */
export default defineConfig({
  root: rendererDir,
  base: './',
  plugins: [svelte()],
  build: {
    outDir: resolve(repoDir, 'dist/renderer'),
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    // The renderer imports the search-space code and the API contract from ../shared.
    fs: { allow: [rendererDir, resolve(repoDir, 'shared')] },
  },
});
