import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiError, Result } from '../../shared/api/contract';
import { stringifyJson } from '../../shared/json';
import { createApiHandler, toWireEvent, type ApiHandler } from '../core/api';
import type { StudyService } from '../core/service';
import { getLogger } from '../log';
import {
  createToken,
  formatStaticCookie,
  hasStaticCookie,
  hostAllowed,
  originAllowed,
  requestToken,
  staticCookie,
  tokensMatch,
} from './auth';
import { defaultStaticDirectory, sendText, serveStatic, setSecurityHeaders } from './static';

export {
  CONTENT_SECURITY_POLICY,
  HEADER_CONTENT_SECURITY_POLICY,
  defaultStaticDirectory,
} from './static';

const log = getLogger('server');

/** Largest accepted request body, in bytes (1 MiB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Largest accepted WebSocket message, in bytes; clients never need to send any. */
const MAX_SOCKET_MESSAGE_BYTES = 4096;

/** Rejections logged in full before only every 100th is (with a count). */
const LOGGED_REJECTIONS = 20;

const API_CALL_PREFIX = '/api/call/';
const EVENTS_PATH = '/api/events';

const STATUS_BY_CODE: Record<ApiError['code'], number> = {
  invalid: 400,
  'not-found': 404,
  conflict: 409,
  dataset: 422,
  internal: 500,
};

/** Settings of startServer. */
export interface ServerOptions {
  service: StudyService;
  /** Interface to listen on; default 127.0.0.1, so only this machine can connect. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Access token of every /api request; default 32 random bytes as hex. */
  token?: string;
  /** Folder of the built renderer; default dist/renderer. */
  staticDir?: string;
}

/** A running web-mode server. */
export interface RunningServer {
  /** Address of the app with the token, such as http://127.0.0.1:8080/?token=... */
  url: string;
  port: number;
  /** Closes the WebSocket connections and the HTTP server; the service stays open. */
  close(): Promise<void>;
}

/**
 * Starts Scout's web mode: the built renderer as static files, the API as
 * `POST /api/call/<channel>` with a JSON body and a JSON Result reply, and
 * service events as JSON messages on the WebSocket `/api/events`.
 *
 * Every /api request and WebSocket upgrade must carry the token, as the
 * `token` query parameter or an `Authorization: Bearer` header. Without it
 * the reply is 401 and the request does nothing. A static file needs the
 * token too, or the cookie set when the page was opened with it, because the
 * page loads its scripts by relative URLs that carry no query. The cookie
 * opens the static files only, never the API, so a page that can make the
 * browser send it (it is scoped to the host, not the port) reaches no data.
 *
 * A server bound to loopback accepts only loopback Host names, and a
 * request whose Origin header is another origin is rejected with 403; no
 * response carries CORS headers, so other origins cannot read any response.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? createToken();
  const staticDir = options.staticDir ?? defaultStaticDirectory();
  const handleCall = createApiHandler(options.service);
  const rejections = createRejectionLog();

  const server = http.createServer((request, response) => {
    setSecurityHeaders(response);
    const pathname = (request.url ?? '/').split('?')[0]!;

    if (!hostAllowed(request, host) || !originAllowed(request)) {
      rejections.log(request, 'foreign Host or Origin header');
      sendText(response, 403, 'forbidden: open the URL that scout serve printed');
      return;
    }

    if (pathname === '/api' || pathname.startsWith('/api/')) {
      if (!tokensMatch(requestToken(request), token)) {
        rejections.log(request, 'missing or wrong token');
        sendText(response, 401, 'unauthorized: open the URL that scout serve printed', {
          'WWW-Authenticate': 'Bearer',
        });
        return;
      }
      handleApiRequest(request, response, pathname, handleCall, rejections).catch((error) => {
        log.error({ err: error, path: pathname }, 'API request failed');
        if (!response.headersSent) {
          sendResult(response, 500, {
            ok: false,
            error: { code: 'internal', message: `the server failed: ${(error as Error).message}` },
          });
        }
      });
      return;
    }

    // The cookie names the port, which is known only once the server listens.
    const cookie = staticCookie(token, (server.address() as AddressInfo).port);
    const withToken = tokensMatch(requestToken(request), token);
    if (!withToken && !hasStaticCookie(request, cookie)) {
      rejections.log(request, 'static file without token or cookie');
      sendText(response, 401, 'unauthorized: open the URL that scout serve printed');
      return;
    }
    if (withToken) {
      response.setHeader('Set-Cookie', formatStaticCookie(cookie));
    }

    const rejection = serveStatic(request, response, staticDir);
    if (rejection !== undefined && rejection !== 'not-found') {
      rejections.log(request, `static file: ${rejection}`);
    }
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const pathname = (request.url ?? '/').split('?')[0]!;
    if (!hostAllowed(request, host) || !originAllowed(request)) {
      rejections.log(request, 'WebSocket upgrade with a foreign Host or Origin header');
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    if (!tokensMatch(requestToken(request), token)) {
      rejections.log(request, 'WebSocket upgrade with a missing or wrong token');
      rejectUpgrade(socket, 401, 'Unauthorized');
      return;
    }
    if (pathname !== EVENTS_PATH) {
      rejections.log(request, 'WebSocket upgrade on an unknown path');
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => {
      // Clients only listen; anything they send is ignored.
      client.on('error', (error) => log.warn({ err: error }, 'event socket error'));
      log.info({ clients: sockets.clients.size }, 'event socket opened');
    });
  });

  const port = await listen(server, host, options.port ?? 0);
  const url = `http://${urlHost(host)}:${port}/?token=${encodeURIComponent(token)}`;
  const unsubscribe = options.service.onEvent((event) => {
    const message = stringifyJson(toWireEvent(event));
    for (const client of sockets.clients) {
      if (client.readyState === WebSocket.OPEN) {
        client.send(message);
      }
    }
  });
  log.info({ host, port, staticDir }, 'server started');

  return {
    url,
    port,
    close: async () => {
      unsubscribe();
      for (const client of sockets.clients) {
        client.terminate();
      }
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      log.info({ host, port }, 'server stopped');
    },
  };
}

async function handleApiRequest(
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
  handleCall: ApiHandler,
  rejections: RejectionLog,
): Promise<void> {
  if (!pathname.startsWith(API_CALL_PREFIX)) {
    rejections.log(request, 'unknown API path');
    sendResult(
      response,
      404,
      invalid(`no API route ${pathname}; calls are POST /api/call/<channel>`),
    );
    return;
  }
  if (request.method !== 'POST') {
    rejections.log(request, 'API call not sent as POST');
    sendResult(response, 405, invalid('API calls must be sent as POST'), { Allow: 'POST' });
    return;
  }

  const body = await readBody(request);
  if (body.type === 'too-large') {
    rejections.log(request, 'request body larger than 1 MiB');
    sendResult(
      response,
      413,
      invalid(`the request body is larger than the limit of ${MAX_BODY_BYTES} bytes (1 MiB)`),
    );
    return;
  }
  if (body.type === 'aborted') {
    return;
  }

  let payload: unknown;
  try {
    payload = body.text.trim() === '' ? {} : JSON.parse(body.text);
  } catch (error) {
    sendResult(
      response,
      400,
      invalid(`the request body is not valid JSON: ${(error as Error).message}`),
    );
    return;
  }

  const channel = safeDecode(pathname.slice(API_CALL_PREFIX.length));
  const result = await handleCall(channel, payload);
  sendResult(response, result.ok ? 200 : STATUS_BY_CODE[result.error.code], result);
}

type BodyResult = { type: 'ok'; text: string } | { type: 'too-large' } | { type: 'aborted' };

/** Reads a request body as UTF-8 text, stopping at MAX_BODY_BYTES. */
function readBody(request: IncomingMessage): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    // Node reads and discards the unsent rest of the body after the response ends.
    return Promise.resolve({ type: 'too-large' });
  }

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };

    request.on('data', (chunk: Buffer) => {
      if (settled) {
        return;
      }
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        settle({ type: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => settle({ type: 'ok', text: Buffer.concat(chunks).toString('utf8') }));
    request.on('close', () => settle({ type: 'aborted' }));
    request.on('error', () => settle({ type: 'aborted' }));
  });
}

function sendResult(
  response: ServerResponse,
  status: number,
  result: Result<unknown>,
  headers: Record<string, string> = {},
): void {
  const body = stringifyJson(result);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(body);
}

function invalid(message: string): Result<never> {
  return { ok: false, error: { code: 'invalid', message } };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Returns how `host` is written in a URL: IPv6 in brackets, any-address as localhost. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') {
    return 'localhost';
  }
  return host.includes(':') ? `[${host}]` : host;
}

interface RejectionLog {
  log(request: IncomingMessage, reason: string): void;
}

/**
 * Logs rejected requests with method, path and address, never the query
 * (which contains the token). After LOGGED_REJECTIONS lines only every 100th
 * rejection is logged, with the running count, so a scanner cannot flood the log.
 */
function createRejectionLog(): RejectionLog {
  let count = 0;
  return {
    log(request, reason) {
      count++;
      if (count > LOGGED_REJECTIONS && count % 100 !== 0) {
        return;
      }
      log.warn(
        {
          method: request.method,
          path: (request.url ?? '/').split('?')[0],
          remote: request.socket.remoteAddress,
          rejected: count,
        },
        `request rejected: ${reason}`,
      );
    },
  };
}
