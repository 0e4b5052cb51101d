import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { newLoopbackContext, openAppSession, openScreen, type AppSession } from './helpers';

let session: AppSession;
let page: Page;

/** A CSP violation as the page's `securitypolicyviolation` event reports it. */
interface Violation {
  directive: string;
  blockedURI: string;
}

before(async () => {
  session = await openAppSession('scout-e2e-security-');
  page = session.page;
});

after(async () => {
  await session?.close();
});

/** Starts collecting the page's CSP violation events into window.__violations. */
async function watchViolations(): Promise<void> {
  await page.evaluate(() => {
    const list: { directive: string; blockedURI: string }[] = [];
    (window as unknown as { __violations: typeof list }).__violations = list;
    document.addEventListener('securitypolicyviolation', (event) =>
      list.push({ directive: event.effectiveDirective, blockedURI: event.blockedURI }),
    );
  });
}

async function violations(): Promise<Violation[]> {
  return page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations);
}

describe('content security policy in Chromium', () => {
  it('app loads without violations', async () => {
    const consoleViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) {
        consoleViolations.push(message.text());
      }
    });
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(new URL(socket.url()).pathname));

    await openScreen(page, session.app, '#/studies');
    await page.waitForTimeout(500);

    assert.deepEqual(consoleViolations, []);
    // The event socket opens under connect-src 'self', which has no ws: wildcard.
    assert.ok(sockets.includes('/api/events'), `sockets: ${sockets.join(', ')}`);
  });

  it('injected inline script is blocked and reported', async () => {
    await watchViolations();
    const reported = page.waitForEvent('console', (message) =>
      message.text().includes('Content Security Policy'),
    );

    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });

    assert.equal(ran, false);
    assert.match((await reported).text(), /script-src/);
    const found = await violations();
    assert.ok(
      found.some((v) => v.directive === 'script-src-elem' && v.blockedURI === 'inline'),
      JSON.stringify(found),
    );
  });

  it('inline event handler is blocked', async () => {
    await watchViolations();

    const ran = await page.evaluate(async () => {
      const image = document.createElement('img');
      image.setAttribute('src', 'data:,');
      image.setAttribute('onerror', 'window.__handler = true');
      image.setAttribute('onload', 'window.__handler = true');
      document.body.appendChild(image);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return (window as unknown as { __handler?: boolean }).__handler === true;
    });

    assert.equal(ran, false);
    assert.ok((await violations()).some((v) => v.directive === 'script-src-attr'));
  });

  it('socket to another port is blocked', async () => {
    await watchViolations();
    const port = new URL(session.app.url).port;
    const otherPort = Number(port) === 1 ? 2 : 1;

    const outcome = await page.evaluate((target) => {
      try {
        new WebSocket(target);
        return 'opened';
      } catch (error) {
        return (error as Error).name;
      }
    }, `ws://127.0.0.1:${otherPort}/`);
    await page.waitForTimeout(100);

    const found = await violations();
    assert.ok(
      outcome === 'SecurityError' || found.some((v) => v.directive === 'connect-src'),
      `${outcome} ${JSON.stringify(found)}`,
    );
  });

  it('script from another origin is blocked', async () => {
    await watchViolations();

    await page.evaluate(async () => {
      const script = document.createElement('script');
      script.src = 'http://127.0.0.2:9/evil.js';
      document.body.appendChild(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
    });

    const found = await violations();
    assert.ok(
      found.some((v) => v.directive === 'script-src-elem' && v.blockedURI.includes('127.0.0.2')),
      JSON.stringify(found),
    );
  });

  it('other pages cannot frame the app', async () => {
    const context = await newLoopbackContext(session.browser);
    try {
      const framer = await context.newPage();
      const blocked: string[] = [];
      framer.on('console', (message) => blocked.push(message.text()));
      await framer.setContent(
        `<iframe src="${session.app.url}" width="400" height="300"></iframe>`,
      );
      await framer.waitForTimeout(1000);

      const frame = framer.frames()[1];
      const content = frame ? await frame.content().catch(() => '') : '';
      assert.doesNotMatch(content, /nav-studies|<title>Scout<\/title>/);
      assert.ok(
        blocked.some((text) => /frame-ancestors|X-Frame-Options|refused/i.test(text)),
        blocked.join('\n'),
      );
    } finally {
      await context.close();
    }
  });

  it('pages ran without errors', () => {
    const unexpected = session.pageErrors.filter(
      (error) => !error.includes('Content Security Policy') && !error.includes('127.0.0.2'),
    );
    assert.deepEqual(unexpected, []);
  });
});
