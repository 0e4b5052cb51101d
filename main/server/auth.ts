import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Returns a fresh access token: 32 random bytes as 64 hex digits. */
export function createToken(): string {
  return crypto.randomBytes(32).toString('hex');
}

/**
 * Returns the token a request carries: the `token` query parameter, else an
 * `Authorization: Bearer <token>` header; undefined when it has neither.
 */
export function requestToken(request: IncomingMessage): string | undefined {
  const query = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
  if (query !== null) {
    return query;
  }

  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Compares two tokens in constant time. Both sides are hashed first, because
 * `timingSafeEqual` needs equal lengths and comparing lengths directly would
 * leak the token's length.
 */
export function tokensMatch(received: string | undefined, expected: string): boolean {
  if (received === undefined) {
    return false;
  }

  const receivedHash = crypto.createHash('sha256').update(received).digest();
  const expectedHash = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(receivedHash, expectedHash);
}

/** Cookie that lets the page load its scripts and styles, which it requests without the token. */
export interface StaticCookie {
  /** Cookie name; it contains the port, because browsers share cookies across a host's ports. */
  name: string;
  /**
   * SHA-256 of the token with a fixed prefix, not the token: any other server on the same host
   * receives this cookie too, and the value opens only the static files, never the API.
   */
  value: string;
}

/** Returns the static-file cookie of a server with `token` on `port`. */
export function staticCookie(token: string, port: number): StaticCookie {
  const value = crypto.createHash('sha256').update(`scout-static\0${token}`).digest('hex');
  return { name: `scout_static_${port}`, value };
}

/** Returns the Set-Cookie header value of the static-file cookie. */
export function formatStaticCookie(cookie: StaticCookie): string {
  // HttpOnly: page scripts cannot read it. SameSite=Strict: no other site's page sends it along.
  return `${cookie.name}=${cookie.value}; Path=/; HttpOnly; SameSite=Strict`;
}

/** Returns whether the request carries the static-file cookie, compared in constant time. */
export function hasStaticCookie(request: IncomingMessage, cookie: StaticCookie): boolean {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === cookie.name) {
      return tokensMatch(part.slice(separator + 1).trim(), cookie.value);
    }
  }
  return false;
}

/** Host names under which a server bound to a loopback address may be addressed. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Returns whether `host` is a loopback interface: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Returns whether the request's Host header names this server. A server bound to loopback
 * answers only to loopback names, so a page whose own domain was made to resolve to 127.0.0.1
 * (DNS rebinding) is turned away before its token guesses are even compared. A server bound to
 * another interface accepts any Host, because it cannot know the names it is reached by.
 */
export function hostAllowed(request: IncomingMessage, boundHost: string): boolean {
  if (!isLoopback(boundHost)) {
    return true;
  }
  const header = request.headers.host;
  if (header === undefined) {
    return false;
  }
  try {
    const { hostname } = new URL(`http://${header}`);
    return LOOPBACK_NAMES.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  } catch {
    return false;
  }
}

/**
 * Returns whether the request's Origin header, when there is one, is this server's own origin.
 * Browsers send Origin with every WebSocket handshake and POST, so a page of another origin
 * is rejected here. Clients outside a browser send none and rely on the token alone.
 */
export function originAllowed(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) {
    return true;
  }
  return request.headers.host !== undefined && origin === `http://${request.headers.host}`;
}
