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
