import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before } from 'node:test';
import WebSocket from 'ws';
import type { ServiceOptions } from '../../../main/core/service';
import { startServer, type RunningServer } from '../../../main/server';
import { makeTempDir, openService, type ServiceHandle } from '../core/helpers';

/** A web-mode server over a temporary database, with the stand-in renderer build it serves. */
export interface TestServer {
  handle: ServiceHandle;
  server: RunningServer;
  /** The stand-in renderer build, `static` in the temporary folder. */
  staticDir: string;
}

/**
 * Writes a stand-in renderer build to `dir/static`, with a `package.json`
 * beside it that must never be served, opens a service over
 * `dir/scout.sqlite` and starts web mode on it with `token`.
 */
async function startTestServer(
  dir: string,
  token: string,
  options: ServiceOptions = {},
): Promise<TestServer> {
  const staticDir = path.join(dir, 'static');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Scout</title>\n');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("scout");\n');
  fs.writeFileSync(path.join(dir, 'package.json'), '{"secret": true}\n');

  const handle = openService(path.join(dir, 'scout.sqlite'), options);
  const server = await startServer({ service: handle.service, token, staticDir });
  return { handle, server, staticDir };
}

/** Stops the server, then closes its service and store. */
async function stopTestServer(test: TestServer): Promise<void> {
  await test.server.close();
  await test.handle.service.close();
  test.handle.store.close();
}

/** A test server and the temporary folder it lives in. */
export interface TestServerFixture extends TestServer {
  dir: string;
}

/**
 * Starts a test server in a new temporary folder named from `prefix` before
 * the file's tests, then calls `prepare`, and stops the server and removes
 * the folder after the tests. The fields of the returned object are set once
 * the `before` hook has run, so read them inside hooks and tests only.
 *
 * Setup that needs the server goes in `prepare`, not in a second top-level
 * `before`, because Node 20.20 starts the next top-level `before` hook
 * without waiting for an async one to finish.
 */
export function useTestServer(
  prefix: string,
  token: string,
  options: ServiceOptions = {},
  prepare: (fixture: TestServerFixture) => void = () => {},
): TestServerFixture {
  const temp = makeTempDir(prefix);
  const fixture = { dir: temp.dir } as TestServerFixture;

  before(async () => {
    Object.assign(fixture, await startTestServer(temp.dir, token, options));
    prepare(fixture);
  });
  after(async () => {
    await stopTestServer(fixture);
    temp.remove();
  });
  return fixture;
}

/** Status, headers and text body of a response. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a request to 127.0.0.1:`port` with `requestPath` exactly as written
 * (fetch would normalise `..`) and any headers, Host included. A body given
 * as an array is written chunk by chunk.
 */
export function rawRequest(
  port: number,
  requestPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer[] } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: requestPath,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode!, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);

    if (Array.isArray(options.body)) {
      for (const chunk of options.body) {
        request.write(chunk);
      }
    } else if (options.body !== undefined) {
      request.write(options.body);
    }
    request.end();
  });
}

/**
 * Opens the event socket of the server on `port` at `query`; resolves once
 * open, rejects with the HTTP status otherwise.
 */
export function openSocket(
  port: number,
  query: string,
  headers: Record<string, string> = {},
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events${query}`, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => {
      reject(new Error(`HTTP ${response.statusCode}`));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}
