import assert from 'node:assert/strict';
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  ipcSenderAllowed,
  isOwnPage,
  navigationAllowed,
  permissionAllowed,
  windowOpenPolicy,
  windowWebPreferences,
} from '../../../main/app/security';
import { REPO_ROOT, makeTempDir, waitFor } from '../core/helpers';

const INDEX_URL = pathToFileURL(path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'));
const rendererBuilt = fs.existsSync(path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'));

describe('window security settings', () => {
  it('security module loads without Electron', () => {
    const electronModules = Object.keys(require.cache).filter((file) =>
      file.includes(`${path.sep}node_modules${path.sep}electron${path.sep}`),
    );

    assert.deepEqual(electronModules, []);
  });

  it('web preferences lock the renderer down', () => {
    const preferences = windowWebPreferences('/app/preload.js');

    assert.equal(preferences.preload, '/app/preload.js');
    assert.equal(preferences.contextIsolation, true);
    assert.equal(preferences.sandbox, true);
    assert.equal(preferences.nodeIntegration, false);
    assert.equal(preferences.nodeIntegrationInWorker, false);
    assert.equal(preferences.nodeIntegrationInSubFrames, false);
    assert.equal(preferences.webSecurity, true);
    assert.equal(preferences.allowRunningInsecureContent, false);
    assert.equal(preferences.experimentalFeatures, false);
    assert.equal(preferences.webviewTag, false);
    assert.equal(preferences.enableBlinkFeatures, undefined);
    assert.equal(preferences.disableBlinkFeatures, 'Auxclick');
    assert.equal(preferences.navigateOnDragDrop, false);
  });

  it('own page is recognised with any route', () => {
    assert.equal(isOwnPage(INDEX_URL.href, INDEX_URL), true);
    assert.equal(isOwnPage(`${INDEX_URL.href}#/studies/3`, INDEX_URL), true);
  });

  it('other pages are not the own page', () => {
    const others = [
      `${INDEX_URL.href}?token=x`,
      pathToFileURL(path.join(REPO_ROOT, 'package.json')).href,
      pathToFileURL('/etc/passwd').href,
      'https://example.com/',
      'http://127.0.0.1:8080/',
      'javascript:alert(1)',
      'data:text/html,<script>1</script>',
      'file://remote-host' + INDEX_URL.pathname,
      'not a url',
    ];
    for (const url of others) {
      assert.equal(isOwnPage(url, INDEX_URL), false, url);
      assert.equal(navigationAllowed(url, INDEX_URL), false, url);
    }
  });

  it('window.open is always denied', () => {
    assert.deepEqual(windowOpenPolicy('https://example.com/'), { action: 'deny' });
    assert.deepEqual(windowOpenPolicy(INDEX_URL.href), { action: 'deny' });
  });

  it('permissions are always denied', () => {
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'hid']) {
      assert.equal(permissionAllowed(permission), false, permission);
    }
  });

  it('IPC only from the main frame of the own page', () => {
    const own = { frameUrl: INDEX_URL.href, isMainFrame: true, isAppWindow: true };

    assert.equal(ipcSenderAllowed(own, INDEX_URL), true);
    assert.equal(ipcSenderAllowed({ ...own, isMainFrame: false }, INDEX_URL), false);
    assert.equal(ipcSenderAllowed({ ...own, isAppWindow: false }, INDEX_URL), false);
    assert.equal(ipcSenderAllowed({ ...own, frameUrl: undefined }, INDEX_URL), false);
    assert.equal(ipcSenderAllowed({ ...own, frameUrl: 'https://example.com/' }, INDEX_URL), false);
  });
});

/** Calls recorded by the stand-in for the electron module. */
interface FakeElectron {
  windows: { options: Record<string, unknown>; loaded: string[]; contents: FakeContents }[];
  appHandlers: Map<string, (...args: unknown[]) => void>;
  ipcHandlers: Map<string, (...args: unknown[]) => unknown>;
  permissionRequest?: (
    contents: unknown,
    permission: string,
    callback: (ok: boolean) => void,
  ) => void;
  permissionCheck?: (contents: unknown, permission: string) => boolean;
  errors: string[];
  quit: number;
}

/** A web contents that records its event handlers and window-open handler. */
class FakeContents {
  handlers = new Map<string, (...args: unknown[]) => void>();
  openHandler?: (details: { url: string }) => unknown;
  sent: unknown[] = [];

  on(event: string, handler: (...args: unknown[]) => void): this {
    this.handlers.set(event, handler);
    return this;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => unknown): void {
    this.openHandler = handler;
  }

  send(channel: string, value: unknown): void {
    this.sent.push([channel, value]);
  }
}

/**
 * Builds a stand-in for the parts of Electron that main.ts uses, so the real
 * main.ts runs in Node and the test reads back the window it creates and the
 * handlers it registers.
 */
function fakeElectron(record: FakeElectron): Record<string, unknown> {
  class BrowserWindow {
    webContents = new FakeContents();
    private entry: FakeElectron['windows'][number];

    constructor(options: Record<string, unknown>) {
      this.entry = { options, loaded: [], contents: this.webContents };
      record.windows.push(this.entry);
    }

    static getAllWindows(): unknown[] {
      return record.windows;
    }

    once(): this {
      return this;
    }

    on(): this {
      return this;
    }

    loadFile(file: string): Promise<void> {
      this.entry.loaded.push(file);
      return Promise.resolve();
    }

    isDestroyed(): boolean {
      return false;
    }
  }

  return {
    app: {
      setName: () => undefined,
      setPath: () => undefined,
      requestSingleInstanceLock: () => true,
      on: (event: string, handler: (...args: unknown[]) => void) =>
        record.appHandlers.set(event, handler),
      whenReady: () => Promise.resolve(),
      quit: () => record.quit++,
      exit: () => record.quit++,
    },
    BrowserWindow,
    dialog: {
      showErrorBox: (title: string, message: string) => record.errors.push(`${title}: ${message}`),
      showOpenDialog: () => Promise.resolve({ canceled: true, filePaths: [] }),
    },
    ipcMain: {
      handle: (channel: string, handler: (...args: unknown[]) => unknown) =>
        record.ipcHandlers.set(channel, handler),
    },
    Menu: {
      setApplicationMenu: () => undefined,
      buildFromTemplate: (template: unknown) => template,
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: FakeElectron['permissionRequest']) =>
          (record.permissionRequest = handler),
        setPermissionCheckHandler: (handler: FakeElectron['permissionCheck']) =>
          (record.permissionCheck = handler),
      },
    },
  };
}

describe('main.ts window', { skip: !rendererBuilt && 'renderer not built' }, () => {
  const temp = makeTempDir('scout-app-');
  const record: FakeElectron = {
    windows: [],
    appHandlers: new Map(),
    ipcHandlers: new Map(),
    errors: [],
    quit: 0,
  };
  const savedHome = process.env.SCOUT_HOME;
  let electronPath: string;

  before(async () => {
    process.env.SCOUT_HOME = temp.dir;
    electronPath = require.resolve('electron');
    const fake = new Module(electronPath);
    fake.exports = fakeElectron(record);
    fake.loaded = true;
    require.cache[electronPath] = fake;

    // eslint-disable-next-line @typescript-eslint/no-require-imports -- main.ts runs on load, after the fake Electron is in place
    require('../../../main/app/main');
    await waitFor(() => record.windows.length === 1, 'the window', 10_000);
  });

  after(async () => {
    const beforeQuit = record.appHandlers.get('before-quit');
    beforeQuit?.({ preventDefault: () => undefined });
    await waitFor(() => record.quit > 0, 'the shutdown', 10_000);
    delete require.cache[electronPath];
    if (savedHome === undefined) delete process.env.SCOUT_HOME;
    else process.env.SCOUT_HOME = savedHome;
    temp.remove();
  });

  it('creates the window with the locked-down preferences', () => {
    const options = record.windows[0]!.options;
    const expected = windowWebPreferences(path.join(REPO_ROOT, 'main', 'app', 'preload.js'));

    assert.deepEqual(record.errors, []);
    assert.deepEqual(options.webPreferences, expected);
    assert.deepEqual(record.windows[0]!.loaded, [
      path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'),
    ]);
  });

  it('blocks navigation away from the page', () => {
    const contents = new FakeContents();
    record.appHandlers.get('web-contents-created')!({}, contents);

    for (const event of ['will-navigate', 'will-redirect']) {
      let prevented = false;
      contents.handlers.get(event)!(
        { preventDefault: () => (prevented = true) },
        'https://example.com/',
      );
      assert.equal(prevented, true, event);
    }

    let prevented = false;
    contents.handlers.get('will-navigate')!(
      { preventDefault: () => (prevented = true) },
      INDEX_URL.href,
    );
    assert.equal(prevented, false);
  });

  it('blocks new windows and webviews', () => {
    const contents = new FakeContents();
    record.appHandlers.get('web-contents-created')!({}, contents);
    let prevented = false;
    contents.handlers.get('will-attach-webview')!({ preventDefault: () => (prevented = true) });

    assert.deepEqual(contents.openHandler!({ url: 'https://example.com/' }), { action: 'deny' });
    assert.equal(prevented, true);
  });

  it('denies permission requests and checks', () => {
    let granted: boolean | undefined;
    record.permissionRequest!({}, 'media', (ok) => (granted = ok));

    assert.equal(granted, false);
    assert.equal(record.permissionCheck!({}, 'notifications'), false);
  });

  it('answers IPC from the own main frame only', async () => {
    const call = record.ipcHandlers.get('scout:call')!;
    const appContents = record.windows[0]!.contents;
    const own = { url: INDEX_URL.href, parent: null };
    const sub = { url: INDEX_URL.href, parent: own };
    const other = { url: 'https://example.com/', parent: null };

    const accepted = (await call({ sender: appContents, senderFrame: own }, 'system.info', {})) as {
      ok: boolean;
    };
    const rejected = await Promise.all([
      call({ sender: new FakeContents(), senderFrame: own }, 'system.info', {}),
      call({ sender: appContents, senderFrame: sub }, 'system.info', {}),
      call({ sender: appContents, senderFrame: other }, 'system.info', {}),
      call({ sender: appContents, senderFrame: null }, 'system.info', {}),
    ]);

    assert.equal(accepted.ok, true);
    for (const result of rejected as { ok: boolean; error: { message: string } }[]) {
      assert.equal(result.ok, false);
      assert.match(result.error.message, /accepted from the Scout page only/);
    }
  });
});
