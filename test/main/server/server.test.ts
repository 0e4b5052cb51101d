import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { Result, ScoutEvent } from '../../../shared/api/contract';
import type { DatasetRecord, StudyRecord } from '../../../shared/study';
import { defaultSettings } from '../../../shared/defaults';
import {
  CONTENT_SECURITY_POLICY,
  HEADER_CONTENT_SECURITY_POLICY,
  MAX_BODY_BYTES,
  startServer,
} from '../../../main/server';
import { FIXTURES, REPO_ROOT, waitFor } from '../core/helpers';
import { openSocket, rawRequest, useTestServer } from './helpers';

const TOKEN = 'a'.repeat(64);
const web = useTestServer('scout-server-', TOKEN, {
  backend: 'cpu',
  workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
});

/** Calls a channel over HTTP with the token and returns the status and the envelope. */
async function callHttp(
  channel: string,
  body: unknown,
): Promise<{ status: number; result: Result<unknown> }> {
  const response = await fetch(
    `http://127.0.0.1:${web.server.port}/api/call/${channel}?token=${TOKEN}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    },
  );
  return { status: response.status, result: (await response.json()) as Result<unknown> };
}

const IRIS_SOURCE = {
  format: 'csv',
  path: path.join(FIXTURES, 'iris.csv'),
  target: 'species',
  task: 'classification',
} as const;

describe('startServer', () => {
  it('prints a loopback URL with the token', () => {
    assert.equal(web.server.url, `http://127.0.0.1:${web.server.port}/?token=${TOKEN}`);
    assert.ok(web.server.port > 0);
  });

  it('creates a 64-digit token by default', async () => {
    const other = await startServer({ service: web.handle.service, staticDir: web.staticDir });
    try {
      const token = new URL(other.url).searchParams.get('token');
      assert.match(token ?? '', /^[0-9a-f]{64}$/);
      assert.notEqual(other.port, web.server.port);
    } finally {
      await other.close();
    }
  });

  it('refuses connections after close', async () => {
    const other = await startServer({ service: web.handle.service, staticDir: web.staticDir });
    await other.close();

    await assert.rejects(fetch(`http://127.0.0.1:${other.port}/`));
  });
});

describe('API authorisation', () => {
  it('rejects a call without token', async () => {
    const response = await rawRequest(web.server.port, '/api/call/datasets.list', {
      method: 'POST',
      body: '{}',
    });

    assert.equal(response.status, 401);
    assert.doesNotMatch(response.body, /"ok"/);
  });

  it('rejects a call with a wrong token', async () => {
    const response = await rawRequest(
      web.server.port,
      `/api/call/datasets.list?token=${'b'.repeat(64)}`,
      {
        method: 'POST',
        body: '{}',
      },
    );

    assert.equal(response.status, 401);
  });

  it('rejects a token prefix', async () => {
    const response = await rawRequest(
      web.server.port,
      `/api/call/datasets.list?token=${TOKEN.slice(0, 10)}`,
      {
        method: 'POST',
        body: '{}',
      },
    );

    assert.equal(response.status, 401);
  });

  it('rejects an unknown /api path without token', async () => {
    const response = await rawRequest(web.server.port, '/api/secrets');

    assert.equal(response.status, 401);
  });

  it('rejects a call before running it', async () => {
    const response = await rawRequest(web.server.port, '/api/call/datasets.add', {
      method: 'POST',
      body: JSON.stringify({ name: 'sneaky', source: IRIS_SOURCE }),
    });
    const datasets = web.handle.service.datasets.list().map((dataset) => dataset.name);

    assert.equal(response.status, 401);
    assert.ok(!datasets.includes('sneaky'));
  });

  it('accepts a bearer token header', async () => {
    const response = await rawRequest(web.server.port, '/api/call/datasets.list', {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });

    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.body).ok, true);
  });

  it('rejects a socket upgrade without token', async () => {
    await assert.rejects(openSocket(web.server.port, ''), /HTTP 401/);
  });

  it('rejects a socket upgrade with a wrong token', async () => {
    await assert.rejects(openSocket(web.server.port, `?token=${'c'.repeat(64)}`), /HTTP 401/);
  });

  it('accepts a socket upgrade with a bearer header', async () => {
    const socket = await openSocket(web.server.port, '', { Authorization: `Bearer ${TOKEN}` });
    socket.close();
  });
});

describe('API calls', () => {
  let iris: DatasetRecord;

  before(async () => {
    const { status, result } = await callHttp('datasets.add', {
      name: 'iris',
      source: IRIS_SOURCE,
    });
    assert.equal(status, 200, JSON.stringify(result));
    assert.ok(result.ok);
    iris = result.value as DatasetRecord;
  });

  it('adds a CSV dataset', () => {
    assert.equal(iris.name, 'iris');
    assert.equal(iris.rows, 150);
    assert.equal(iris.features, 4);
    assert.equal(iris.classes, 3);
  });

  it('lists the added dataset', async () => {
    const { status, result } = await callHttp('datasets.list', {});

    assert.equal(status, 200);
    assert.ok(result.ok);
    assert.deepEqual(
      (result.value as DatasetRecord[]).map((dataset) => dataset.name),
      ['iris'],
    );
  });

  it('returns space issues with status 400', async () => {
    const { status, result } = await callHttp('studies.create', {
      name: 'bad space',
      datasetId: iris.id,
      template: 'mlp',
      space: [{ name: 'learning_rate', type: 'float', min: 0.1, max: 0.01 }],
      settings: { ...defaultSettings('classification'), trials: 2 },
    });

    assert.equal(status, 400);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'invalid');
    const issues = (!result.ok && result.error.issues) || [];
    assert.equal(issues.length, 1);
    assert.match(JSON.stringify(issues[0]), /learning_rate/);
  });

  it('rejects an unknown channel', async () => {
    const { status, result } = await callHttp('studies.explode', {});

    assert.equal(status, 400);
    assert.equal(!result.ok && result.error.code, 'invalid');
    assert.match(!result.ok ? result.error.message : '', /unknown API channel 'studies\.explode'/);
  });

  it('rejects a body that is not JSON', async () => {
    const response = await rawRequest(web.server.port, `/api/call/datasets.list?token=${TOKEN}`, {
      method: 'POST',
      body: '{not json',
    });
    const result = JSON.parse(response.body) as Result<unknown>;

    assert.equal(response.status, 400);
    assert.match(!result.ok ? result.error.message : '', /not valid JSON/);
  });

  it('rejects a GET call', async () => {
    const response = await rawRequest(web.server.port, `/api/call/datasets.list?token=${TOKEN}`);

    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'POST');
  });

  it('rejects a body over 1 MiB', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES), source: IRIS_SOURCE });
    const { status, result } = await callHttp('datasets.add', JSON.parse(body));

    assert.equal(status, 413);
    assert.equal(!result.ok && result.error.code, 'invalid');
    assert.match(!result.ok ? result.error.message : '', /larger than the limit/);
  });

  it('rejects a chunked body over 1 MiB', async () => {
    const chunk = Buffer.alloc(600 * 1024, 0x20);
    const response = await rawRequest(web.server.port, `/api/call/datasets.list?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'Transfer-Encoding': 'chunked' },
      body: [chunk, chunk],
    });

    assert.equal(response.status, 413);
  });

  it('accepts a body just under 1 MiB', async () => {
    const padding = ' '.repeat(MAX_BODY_BYTES - 10);
    const response = await rawRequest(web.server.port, `/api/call/datasets.list?token=${TOKEN}`, {
      method: 'POST',
      body: `{}${padding}`,
    });

    assert.equal(response.status, 200);
  });

  it('streams events while a study runs', async () => {
    const socket = await openSocket(web.server.port, `?token=${TOKEN}`);
    const events: ScoutEvent[] = [];
    socket.on('message', (data) => events.push(JSON.parse(String(data)) as ScoutEvent));

    try {
      const created = await callHttp('studies.create', {
        name: 'tiny',
        datasetId: iris.id,
        template: 'mlp',
        space: [{ name: 'units', type: 'int', min: 4, max: 8 }],
        settings: { ...defaultSettings('classification'), trials: 2, epochs: 2, patience: 0 },
      });
      assert.ok(created.result.ok, JSON.stringify(created.result));
      const study = created.result.value as StudyRecord;

      const started = await callHttp('studies.start', { id: study.id });
      assert.equal(started.status, 200, JSON.stringify(started.result));
      await waitFor(
        () => events.some((event) => event.type === 'study-status' && event.status === 'completed'),
        'the study to complete',
      );

      const ofStudy = events.filter((event) => event.studyId === study.id);
      const types = new Set(ofStudy.map((event) => event.type));
      assert.deepEqual([...types].sort(), [
        'study-status',
        'trial-ended',
        'trial-epoch',
        'trial-started',
      ]);
      const epochs = ofStudy.filter((event) => event.type === 'trial-epoch');
      assert.equal(epochs.length, 4);
      const ended = ofStudy.filter((event) => event.type === 'trial-ended');
      assert.deepEqual(
        ended.map((event) => event.status),
        ['completed', 'completed'],
      );
    } finally {
      socket.close();
    }
  });
});

describe('static files', () => {
  it('serves index.html at / with the CSP header', async () => {
    const response = await rawRequest(web.server.port, `/?token=${TOKEN}`);

    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['content-security-policy'], HEADER_CONTENT_SECURITY_POLICY);
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.match(response.body, /<title>Scout<\/title>/);
  });

  it('serves a script with its content type', async () => {
    const response = await rawRequest(web.server.port, `/assets/app.js?token=${TOKEN}`);

    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(response.body, 'console.log("scout");\n');
  });

  it('sends the CSP of the renderer meta tag', () => {
    const html = fs.readFileSync(path.join(REPO_ROOT, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);

    assert.ok(meta, 'renderer/index.html has a CSP meta tag');
    assert.equal(CONTENT_SECURITY_POLICY, meta[1]);
  });

  it('returns 404 for a missing file', async () => {
    const response = await rawRequest(web.server.port, `/assets/missing.js?token=${TOKEN}`);

    assert.equal(response.status, 404);
  });

  it('rejects a POST to a static path', async () => {
    const response = await rawRequest(web.server.port, `/index.html?token=${TOKEN}`, {
      method: 'POST',
      body: 'x',
    });

    assert.equal(response.status, 405);
  });

  for (const attempt of [
    '/../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/../../package.json',
  ]) {
    it(`rejects traversal ${attempt}`, async () => {
      const response = await rawRequest(web.server.port, `${attempt}?token=${TOKEN}`);

      assert.equal(response.status, 403);
      assert.doesNotMatch(response.body, /secret/);
    });
  }

  it('rejects a NUL byte in the path', async () => {
    const response = await rawRequest(web.server.port, `/index.html%00.js?token=${TOKEN}`);

    assert.equal(response.status, 400);
  });

  it('rejects a symbolic link out of the root', async (context) => {
    const link = path.join(web.staticDir, 'linked.json');
    try {
      fs.symlinkSync(path.join(web.dir, 'package.json'), link);
    } catch {
      context.skip('symbolic links are not allowed here');
      return;
    }

    const response = await rawRequest(web.server.port, `/linked.json?token=${TOKEN}`);

    assert.equal(response.status, 403);
    assert.doesNotMatch(response.body, /secret/);
  });
});
