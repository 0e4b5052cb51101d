import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { describe, it } from 'node:test';
import { HEADER_CONTENT_SECURITY_POLICY } from '../../../main/server';
import { hostAllowed, isLoopback, staticCookie, tokensMatch } from '../../../main/server/auth';
import { FIXTURES } from '../core/helpers';
import { openSocket, rawRequest, useTestServer } from './helpers';

const TOKEN = 'b'.repeat(64);
let origin: string;
const web = useTestServer('scout-security-', TOKEN, { backend: 'cpu' }, (started) => {
  fs.writeFileSync(path.join(started.dir, 'static-secret.txt'), 'secret\n');
  origin = `http://127.0.0.1:${started.server.port}`;
});

/** Returns the `name=value` part of the static cookie that a page load with the token sets. */
async function pageCookie(): Promise<string> {
  const response = await rawRequest(web.server.port, `/?token=${TOKEN}`);
  const header = response.headers['set-cookie']?.[0] ?? '';
  return header.split(';')[0]!;
}

describe('web mode binding', () => {
  it('listens on 127.0.0.1 by default', () => {
    assert.match(web.server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=b{64}$/);
  });

  it('isLoopback knows the loopback names', () => {
    assert.equal(isLoopback('127.0.0.1'), true);
    assert.equal(isLoopback('127.1.2.3'), true);
    assert.equal(isLoopback('::1'), true);
    assert.equal(isLoopback('localhost'), true);
    assert.equal(isLoopback('0.0.0.0'), false);
    assert.equal(isLoopback('192.168.1.2'), false);
  });

  it('hostAllowed accepts any Host off loopback', () => {
    const request = { headers: { host: 'workstation.lan:8080' } } as http.IncomingMessage;

    assert.equal(hostAllowed(request, '0.0.0.0'), true);
    assert.equal(hostAllowed(request, '127.0.0.1'), false);
  });
});

describe('token comparison', () => {
  it('accepts the exact token', () => {
    assert.equal(tokensMatch(TOKEN, TOKEN), true);
  });

  it('rejects other lengths without throwing', () => {
    // timingSafeEqual throws on buffers of unequal length, so this passes only when both sides
    // are hashed to the same length first.
    for (const received of ['', 'b', TOKEN.slice(1), `${TOKEN}b`, 'x'.repeat(10_000)]) {
      assert.equal(tokensMatch(received, TOKEN), false, `length ${received.length}`);
    }
  });

  it('rejects a missing token', () => {
    assert.equal(tokensMatch(undefined, TOKEN), false);
  });
});

describe('static files need the token', () => {
  it('rejects the page without token', async () => {
    const response = await rawRequest(web.server.port, '/');

    assert.equal(response.status, 401);
    assert.doesNotMatch(response.body, /<title>/);
  });

  it('rejects a script without token', async () => {
    const response = await rawRequest(web.server.port, '/assets/app.js');

    assert.equal(response.status, 401);
    assert.doesNotMatch(response.body, /console\.log/);
  });

  it('rejects a wrong token', async () => {
    const response = await rawRequest(web.server.port, `/?token=${'c'.repeat(64)}`);

    assert.equal(response.status, 401);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  it('sets an HttpOnly strict cookie with the token', async () => {
    const response = await rawRequest(web.server.port, `/?token=${TOKEN}`);
    const cookie = response.headers['set-cookie']?.[0] ?? '';

    assert.equal(response.status, 200);
    assert.match(cookie, new RegExp(`^scout_static_${web.server.port}=[0-9a-f]{64}; `));
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.doesNotMatch(cookie, new RegExp(TOKEN));
  });

  it('serves a script with the cookie', async () => {
    const response = await rawRequest(web.server.port, '/assets/app.js', {
      headers: { Cookie: await pageCookie() },
    });

    assert.equal(response.status, 200);
    assert.equal(response.body, 'console.log("scout");\n');
  });

  it('rejects a forged cookie', async () => {
    const { name } = staticCookie(TOKEN, web.server.port);
    const forged = `${name}=${'0'.repeat(64)}`;
    const response = await rawRequest(web.server.port, '/assets/app.js', {
      headers: { Cookie: forged },
    });

    assert.equal(response.status, 401);
  });

  it('cookie of another port is not accepted', async () => {
    const other = staticCookie(TOKEN, web.server.port + 1);
    const response = await rawRequest(web.server.port, '/', {
      headers: { Cookie: `${other.name}=${other.value}` },
    });

    assert.equal(response.status, 401);
  });

  it('cookie does not open the API', async () => {
    const response = await rawRequest(web.server.port, '/api/call/system.info', {
      method: 'POST',
      headers: { Cookie: await pageCookie(), 'Content-Type': 'application/json' },
      body: '{}',
    });

    assert.equal(response.status, 401);
    assert.doesNotMatch(response.body, /databasePath/);
  });

  it('lists no folder', async () => {
    for (const folder of ['/assets', '/assets/', '/assets/.']) {
      const response = await rawRequest(web.server.port, `${folder}?token=${TOKEN}`);

      assert.equal(response.status, 404, folder);
      assert.doesNotMatch(response.body, /app\.js/, folder);
    }
  });
});

describe('static paths stay inside the folder', () => {
  const attempts = [
    '/..%2fpackage.json',
    '/%2e%2e%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/%252e%252e%252fpackage.json',
    '/..%5cpackage.json',
    '/..\\package.json',
    '/assets\\..\\..\\package.json',
    '/%2e%2e%5c%2e%2e%5cpackage.json',
    '/..%c0%afpackage.json',
    '/%c0%ae%c0%ae/package.json',
    '/index.html%00',
    '/index.html%2500',
    '/..%00/package.json',
    '//..//package.json',
    `/${encodeURIComponent(path.join(web.dir, 'package.json'))}`,
    '/../static-secret.txt',
    '/%2e%2e/static-secret.txt',
  ];

  for (const attempt of attempts) {
    it(`never serves ${attempt}`, async () => {
      const response = await rawRequest(web.server.port, `${attempt}?token=${TOKEN}`);

      assert.ok([400, 403, 404].includes(response.status), `status ${response.status}`);
      assert.doesNotMatch(response.body, /secret/);
    });
  }
});

describe('CORS stays closed', () => {
  const evil = 'http://evil.example';

  it('refuses a preflight', async () => {
    const response = await rawRequest(web.server.port, `/api/call/datasets.add?token=${TOKEN}`, {
      method: 'OPTIONS',
      headers: {
        Origin: evil,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });

    assert.ok(response.status >= 400, `status ${response.status}`);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.headers['access-control-allow-methods'], undefined);
  });

  it('rejects a call from another origin', async () => {
    const before = web.handle.service.datasets.list().length;
    const response = await rawRequest(web.server.port, `/api/call/datasets.add?token=${TOKEN}`, {
      method: 'POST',
      headers: { Origin: evil, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'iris',
        source: {
          format: 'csv',
          path: path.join(FIXTURES, 'iris.csv'),
          target: 'species',
          task: 'classification',
        },
      }),
    });

    assert.equal(response.status, 403);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(web.handle.service.datasets.list().length, before);
  });

  it('accepts a call from its own origin', async () => {
    const response = await rawRequest(web.server.port, `/api/call/studies.list?token=${TOKEN}`, {
      method: 'POST',
      headers: { Origin: origin, 'Content-Type': 'application/json' },
      body: '{}',
    });

    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('rejects a null origin', async () => {
    const response = await rawRequest(web.server.port, `/?token=${TOKEN}`, {
      headers: { Origin: 'null' },
    });

    assert.equal(response.status, 403);
  });

  it('rejects a foreign Host header', async () => {
    const response = await rawRequest(web.server.port, `/api/call/system.info?token=${TOKEN}`, {
      method: 'POST',
      headers: { Host: `rebound.example:${web.server.port}` },
      body: '{}',
    });

    assert.equal(response.status, 403);
    assert.doesNotMatch(response.body, /databasePath/);
  });

  it('accepts localhost as Host', async () => {
    const response = await rawRequest(web.server.port, `/?token=${TOKEN}`, {
      headers: { Host: `localhost:${web.server.port}` },
    });

    assert.equal(response.status, 200);
  });
});

describe('event socket checks the origin', () => {
  it('rejects another origin with the token', async () => {
    await assert.rejects(
      openSocket(web.server.port, `?token=${TOKEN}`, { Origin: 'http://evil.example' }),
      /HTTP 403/,
    );
  });

  it('rejects a foreign Host with the token', async () => {
    await assert.rejects(
      openSocket(web.server.port, `?token=${TOKEN}`, {
        Host: `rebound.example:${web.server.port}`,
      }),
      /HTTP 403/,
    );
  });

  it('accepts its own origin with the token', async () => {
    const socket = await openSocket(web.server.port, `?token=${TOKEN}`, { Origin: origin });
    socket.close();
  });

  it('rejects its own origin without the token', async () => {
    await assert.rejects(openSocket(web.server.port, '', { Origin: origin }), /HTTP 401/);
  });
});

describe('security headers', () => {
  const cases: [string, string, string | undefined][] = [
    ['page', `/?token=${TOKEN}`, undefined],
    ['401', '/', undefined],
    ['404', `/missing.js?token=${TOKEN}`, undefined],
    ['API call', `/api/call/studies.list?token=${TOKEN}`, 'POST'],
    ['API 401', '/api/call/studies.list', 'POST'],
  ];

  for (const [label, requestPath, method] of cases) {
    it(`${label} carries every header`, async () => {
      const response = await rawRequest(web.server.port, requestPath, {
        method,
        body: method ? '{}' : undefined,
      });

      assert.equal(response.headers['content-security-policy'], HEADER_CONTENT_SECURITY_POLICY);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin');
      assert.equal(response.headers['access-control-allow-origin'], undefined);
    });
  }

  it('CSP forbids framing, plugins and inline scripts', () => {
    const directives = new Map(
      HEADER_CONTENT_SECURITY_POLICY.split(';').map((part) => {
        const [name, ...values] = part.trim().split(/\s+/);
        return [name!, values.join(' ')];
      }),
    );

    assert.equal(directives.get('frame-ancestors'), "'none'");
    assert.equal(directives.get('object-src'), "'none'");
    assert.equal(directives.get('base-uri'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('connect-src'), "'self'");
    assert.equal(directives.get('default-src'), "'self'");
  });
});
