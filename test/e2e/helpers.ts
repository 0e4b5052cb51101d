import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../main/server';
import { REPO_ROOT, makeTempDir, openService, type ServiceHandle } from '../main/core/helpers';

/** Folder of the built renderer that the web-mode server serves. */
export const RENDERER_DIR = path.join(REPO_ROOT, 'dist', 'renderer');

/** Chromium of the Debian package; playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = process.env.SCOUT_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Viewport of every page: the size of the screenshots in docs/screenshots. */
export const VIEWPORT = { width: 1280, height: 800 };

/**
 * Chromium flags: headless, no background traffic to Google services, and a
 * host resolver that resolves no name at all, so the page can reach only
 * 127.0.0.1, where the test server listens.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** Throws with the build command when the renderer has not been built. */
export function assertRendererBuilt(): void {
  const index = path.join(RENDERER_DIR, 'index.html');
  if (!fs.existsSync(index)) {
    throw new Error(
      `the renderer is not built (no ${index}); run \`npm run build:renderer\` before the end-to-end tests`,
    );
  }
}

/** Starts Chromium from CHROMIUM_PATH; throws with the path when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}; install it (Debian: apt-get install chromium) ` +
        'or set SCOUT_E2E_CHROMIUM to its path',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * Opens a browser context at the test viewport that accepts downloads and
 * aborts every request to a host other than 127.0.0.1.
 */
export async function newLoopbackContext(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    acceptDownloads: true,
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
  });
  await context.route(
    (url) => url.protocol.startsWith('http') && url.hostname !== '127.0.0.1',
    (route) => route.abort('blockedbyclient'),
  );
  return context;
}

/** A web-mode server over a temporary database, with the service behind it. */
export interface TestApp extends ServiceHandle {
  server: RunningServer;
  /** Temporary folder of the database and the kept models. */
  dir: string;
  /** URL of the app with the token. */
  url: string;
  token: string;
  /** Stops the server and the service, closes the database and removes the folder. */
  close(): Promise<void>;
}

/** Starts a web-mode server on a free port over a new SQLite file in a temporary folder. */
export async function startTestApp(prefix = 'scout-e2e-'): Promise<TestApp> {
  const temp = makeTempDir(prefix);
  const handle = openService(path.join(temp.dir, 'scout.sqlite'), {
    modelDirectory: path.join(temp.dir, 'models'),
    workerEnv: { SCOUT_LOG_LEVEL: 'silent' },
  });
  const server = await startServer({
    service: handle.service,
    host: '127.0.0.1',
    port: 0,
    staticDir: RENDERER_DIR,
  });
  const token = new URL(server.url).searchParams.get('token') ?? '';

  return {
    ...handle,
    server,
    dir: temp.dir,
    url: server.url,
    token,
    async close() {
      try {
        await server.close();
        await handle.service.close();
      } finally {
        handle.store.close();
        temp.remove();
      }
    },
  };
}

/** A test app with Chromium open on one loopback-only page, and the errors that page reports. */
export interface AppSession {
  app: TestApp;
  browser: Browser;
  page: Page;
  pageErrors: string[];
  /** Closes the browser, then the app. */
  close(): Promise<void>;
}

/**
 * Starts a test app and opens one Chromium page for it, after checking that
 * the renderer is built: the setup every browser workflow test shares.
 */
export async function openAppSession(prefix: string): Promise<AppSession> {
  assertRendererBuilt();
  const app = await startTestApp(prefix);
  const browser = await launchBrowser();
  const context = await newLoopbackContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  return {
    app,
    browser,
    page,
    pageErrors: collectPageErrors(page),
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Opens the app at `hash` (such as `#/datasets`) with the token, and waits for the navigation. */
export async function openScreen(page: Page, app: TestApp, hash: string): Promise<void> {
  await page.goto(`${app.url}${hash}`);
  await page.getByTestId('nav-studies').waitFor();
}

/**
 * Collects errors the page throws or logs, so a test can assert that the
 * screens ran without them. Chromium's "Failed to load resource" lines are
 * left out, because the tests cause 401 and 422 replies on purpose and the
 * screens show those errors themselves.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  return errors;
}
