/**
 * Electron main process: one window showing the built renderer from
 * file://, the API over IPC, and nothing else. All the work happens in
 * StudyService, exactly as in the CLI and web mode.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session } from 'electron';
import type { IpcMainInvokeEvent, MenuItemConstructorOptions, WebContents } from 'electron';
import { createApiHandler, toWireEvent, type ApiHandler } from '../core/api';
import { ExportFolders } from '../core/export';
import { APP_NAME, defaultDatabasePath, modelDirectory, userDataDirectory } from '../core/paths';
import { StudyService } from '../core/service';
import { getLogger } from '../log';
import { defaultStaticDirectory } from '../server/static';
import { Store } from '../store';
import {
  createAppWindow,
  ipcSenderAllowed,
  navigationAllowed,
  permissionAllowed,
  windowOpenPolicy,
} from './security';

const log = getLogger('app');

// IPC channel names; preload.ts repeats them because a sandboxed preload can require only 'electron'.
const CALL_CHANNEL = 'scout:call';
const EVENT_CHANNEL = 'scout:event';
const OPEN_FILE_CHANNEL = 'dialog:openFile';
const OPEN_FOLDER_CHANNEL = 'dialog:openFolder';

/** Folders chosen in the folder dialog during this run: the only ones exports are written to. */
const exportFolders = new ExportFolders();

/** Extensions of the database files the app opens from the command line or the file manager. */
const DATABASE_EXTENSIONS = ['.scout', '.sqlite'];

const INDEX_FILE = path.join(defaultStaticDirectory(), 'index.html');
const INDEX_URL = pathToFileURL(INDEX_FILE);

let mainWindow: BrowserWindow | undefined;
let store: Store | undefined;
let service: StudyService | undefined;
let requestedDatabase: string | undefined = databaseFromArguments(process.argv);
let quitting = false;

// The package name is lowercase "scout"; the user-data folder must be "Scout",
// the one that paths.ts userDataDirectory() gives the CLI, so both share a database.
app.setName(APP_NAME);
app.setPath('userData', userDataDirectory());

if (!app.requestSingleInstanceLock()) {
  // Another Scout owns the database; it gets our arguments in 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', (_event, argv) => {
    const database = databaseFromArguments(argv);
    if (database !== undefined) {
      // NOTE: a running window keeps its database; switching needs a restart.
      log.warn({ database }, 'ignored a database opened while Scout is running');
    }
    focusWindow();
  });

  // macOS sends files opened from Finder before 'ready' as this event.
  app.on('open-file', (event, file) => {
    event.preventDefault();
    if (service === undefined) {
      requestedDatabase = file;
    }
  });

  app.on('web-contents-created', (_event, contents) => lockDown(contents));
  app.on('window-all-closed', () => {
    // macOS apps stay running without windows; running studies keep going there.
    if (process.platform !== 'darwin') {
      app.quit();
    }
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && service !== undefined) {
      createWindow();
    }
  });
  app.on('before-quit', (event) => {
    if (quitting || service === undefined) {
      return;
    }
    event.preventDefault();
    quitting = true;
    void shutDown().finally(() => app.quit());
  });

  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      // Opening the database fails for a file written by a newer Scout or one that is not SQLite.
      log.error({ err: error }, 'app failed to start');
      dialog.showErrorBox('Scout could not start', (error as Error).message ?? String(error));
      app.exit(1);
    });
}

async function start(): Promise<void> {
  if (!fs.existsSync(INDEX_FILE)) {
    dialog.showErrorBox(
      'Scout is not built',
      `The app files are missing (${INDEX_FILE}). Run \`npm run build:renderer\` and start Scout again.`,
    );
    app.quit();
    return;
  }

  denyPermissions();
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate()));

  const databasePath = requestedDatabase ?? defaultDatabasePath();
  fs.mkdirSync(path.dirname(databasePath), { recursive: true });
  store = Store.open(databasePath);
  service = new StudyService(store, {
    modelDirectory: modelDirectory(databasePath),
    // child_process.fork starts process.execPath, the Electron binary here;
    // this variable makes it run the worker as plain Node.
    workerEnv: { ELECTRON_RUN_AS_NODE: '1' },
  });
  log.info({ databasePath }, 'app started');

  registerIpc(createApiHandler(service, { exportFolders }));
  service.onEvent((event) => {
    if (mainWindow !== undefined && !mainWindow.isDestroyed()) {
      mainWindow.webContents.send(EVENT_CHANNEL, toWireEvent(event));
    }
  });

  createWindow();
}

function createWindow(): void {
  mainWindow = createAppWindow(BrowserWindow, path.join(__dirname, 'preload.js'));

  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = undefined;
  });
  void mainWindow.loadFile(INDEX_FILE);
}

function focusWindow(): void {
  if (mainWindow === undefined) {
    return;
  }
  if (mainWindow.isMinimized()) {
    mainWindow.restore();
  }
  mainWindow.focus();
}

/** Handles the renderer's API calls and file dialogs, from our own page only. */
function registerIpc(handleCall: ApiHandler): void {
  ipcMain.handle(CALL_CHANNEL, async (event, channel: unknown, request: unknown) => {
    if (!isOwnPage(event)) {
      log.warn({ url: event.senderFrame?.url }, 'API call from a foreign page rejected');
      return {
        ok: false,
        error: { code: 'invalid', message: 'API calls are accepted from the Scout page only' },
      };
    }
    if (typeof channel !== 'string') {
      return { ok: false, error: { code: 'invalid', message: 'the API channel must be a string' } };
    }
    return handleCall(channel, request);
  });

  ipcMain.handle(OPEN_FILE_CHANNEL, async (event, options: unknown) => {
    if (!isOwnPage(event) || mainWindow === undefined) {
      log.warn({ url: event.senderFrame?.url }, 'file dialog request from a foreign page rejected');
      return null;
    }

    const title = (options as { title?: unknown } | null)?.title;
    const result = await dialog.showOpenDialog(mainWindow, {
      title: typeof title === 'string' ? title.slice(0, 200) : 'Choose a file',
      properties: ['openFile'],
    });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });

  ipcMain.handle(OPEN_FOLDER_CHANNEL, async (event, options: unknown) => {
    if (!isOwnPage(event) || mainWindow === undefined) {
      log.warn(
        { url: event.senderFrame?.url },
        'folder dialog request from a foreign page rejected',
      );
      return null;
    }

    const title = (options as { title?: unknown } | null)?.title;
    const result = await dialog.showOpenDialog(mainWindow, {
      title: typeof title === 'string' ? title.slice(0, 200) : 'Choose a folder',
      properties: ['openDirectory', 'createDirectory'],
    });
    const folder = result.canceled ? undefined : result.filePaths[0];
    if (folder === undefined) {
      return null;
    }
    exportFolders.allow(folder);
    return folder;
  });
}

/** Whether an IPC message comes from the main frame of our file:// page, whatever its #route. */
function isOwnPage(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return ipcSenderAllowed(
    {
      frameUrl: frame?.url,
      isMainFrame: frame !== null && frame.parent === null,
      isAppWindow: mainWindow !== undefined && event.sender === mainWindow.webContents,
    },
    INDEX_URL,
  );
}

/** Blocks navigation away from our page, new windows and webviews in every web contents. */
function lockDown(contents: WebContents): void {
  const blockNavigation = (event: { preventDefault(): void }, url: string) => {
    if (!navigationAllowed(url, INDEX_URL)) {
      event.preventDefault();
      log.warn({ url }, 'navigation blocked');
    }
  };
  contents.on('will-navigate', blockNavigation);
  contents.on('will-redirect', blockNavigation);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    log.warn({ url }, 'new window blocked');
    return windowOpenPolicy(url);
  });
}

/** Denies every permission request (camera, notifications, geolocation and so on). */
function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => {
    log.warn({ permission }, 'permission request denied');
    callback(permissionAllowed(permission));
  });
  session.defaultSession.setPermissionCheckHandler((_contents, permission) =>
    permissionAllowed(permission),
  );
}

function menuTemplate(): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
  return process.platform === 'darwin' ? [{ role: 'appMenu' }, ...template] : template;
}

/** Interrupts running studies (so they can resume next time) and closes the database. */
async function shutDown(): Promise<void> {
  try {
    await service?.interruptAll();
  } catch (error) {
    log.error({ err: error }, 'interrupting the running studies failed');
  } finally {
    store?.close();
    service = undefined;
    log.info('app stopped');
  }
}

/** Returns the first existing database file named on the command line, if any. */
function databaseFromArguments(argv: string[]): string | undefined {
  return argv
    .slice(1)
    .find(
      (argument) =>
        DATABASE_EXTENSIONS.includes(path.extname(argument).toLowerCase()) &&
        fs.existsSync(argument),
    );
}
