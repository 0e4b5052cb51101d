import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

/**
 * Content Security Policy of the renderer's meta tag in renderer/index.html, which the Electron
 * page (loaded from file://) gets. `frame-ancestors` has no effect in a meta tag, so the web
 * server sends the stricter HEADER_CONTENT_SECURITY_POLICY as a header.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'";

/**
 * Content Security Policy header of every web-mode response. The browser enforces it together
 * with the meta tag, so a resource must pass both. `connect-src 'self'` also covers the
 * WebSocket to the same host and port (CSP Level 3), so the page cannot connect anywhere else;
 * no plugins, no <base> and no form posts; and no other page may frame this one.
 */
export const HEADER_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Reason a static request was not served, for the log. */
export type StaticRejection = 'method' | 'bad-path' | 'outside' | 'not-found';

/**
 * Returns the directory of the built renderer, dist/renderer. This file is
 * main/server/static.ts under tsx and dist/main/server/static.js when
 * compiled (also inside Electron's app.asar), so the repository or dist
 * folder is two levels up.
 */
export function defaultStaticDirectory(): string {
  const base = path.resolve(__dirname, '..', '..');
  return path.basename(base) === 'dist'
    ? path.join(base, 'renderer')
    : path.join(base, 'dist', 'renderer');
}

/** Sets the security headers that every response of the server carries. */
export function setSecurityHeaders(response: ServerResponse): void {
  response.setHeader('Content-Security-Policy', HEADER_CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  // For browsers without CSP frame-ancestors; both forbid framing the app.
  response.setHeader('X-Frame-Options', 'DENY');
  // The page URL carries the token, so no Referer header may ever send it on.
  response.setHeader('Referrer-Policy', 'no-referrer');
  // Pages of other origins may neither load these responses (such as the scripts) nor keep a
  // handle on a window of the app.
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/**
 * Serves a file of the built renderer: GET (and HEAD) only, `/` is
 * index.html, and a path that leaves `root` after decoding and resolving
 * symbolic links is rejected. Returns the reason when it sent an error.
 */
export function serveStatic(
  request: IncomingMessage,
  response: ServerResponse,
  root: string,
): StaticRejection | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendText(response, 405, 'only GET is allowed here', { Allow: 'GET, HEAD' });
    return 'method';
  }

  const file = resolveStaticPath(request.url ?? '/', root);
  if (file === 'bad-path' || file === 'outside') {
    sendText(response, file === 'bad-path' ? 400 : 403, 'invalid path');
    return file;
  }
  if (file === undefined) {
    sendText(response, 404, 'not found');
    return 'not-found';
  }

  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const size = fs.statSync(file).size;
  response.writeHead(200, {
    'Content-Type': type,
    'Content-Length': size,
    // index.html names the hashed asset files of the current build, so it must not be cached.
    'Cache-Control': path.basename(file) === 'index.html' ? 'no-store' : 'no-cache',
  });

  if (request.method === 'HEAD') {
    response.end();
    return undefined;
  }
  fs.createReadStream(file).pipe(response);
  return undefined;
}

/**
 * Maps a request URL to a regular file inside `root`. Returns 'bad-path'
 * for a path that does not decode or contains a NUL byte, 'outside' when it
 * leaves `root` (such as /../package.json or /%2e%2e/package.json), and
 * undefined when no such file exists.
 */
export function resolveStaticPath(
  url: string,
  root: string,
): string | 'bad-path' | 'outside' | undefined {
  const rawPath = url.split('?')[0]!.split('#')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return 'bad-path';
  }
  if (decoded.includes('\0') || !decoded.startsWith('/')) {
    return 'bad-path';
  }

  const relative = decoded === '/' ? 'index.html' : decoded.slice(1);
  const realRoot = realPathOrUndefined(root);
  if (realRoot === undefined) {
    return undefined;
  }

  const candidate = path.resolve(realRoot, relative);
  if (!isInside(realRoot, candidate)) {
    return 'outside';
  }

  const realFile = realPathOrUndefined(candidate);
  if (realFile === undefined) {
    return undefined;
  }
  // A symbolic link inside the root may point anywhere, so the target is checked too.
  if (!isInside(realRoot, realFile)) {
    return 'outside';
  }
  return fs.statSync(realFile).isFile() ? realFile : undefined;
}

function isInside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  const leaves = relative === '..' || relative.startsWith(`..${path.sep}`);
  return relative !== '' && !leaves && !path.isAbsolute(relative);
}

function realPathOrUndefined(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** Sends a short plain-text response. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  response.end(`${text}\n`);
}
