/**
 * Security settings of the Scout window: the web preferences it is created
 * with and the policies for navigation, new windows, permissions and IPC.
 * This module imports Electron for types only, so plain Node (and the tests)
 * can load it and read back exactly what main.ts applies.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { APP_NAME } from '../core/paths';

/** A BrowserWindow class: Electron's in the app, a recording stand-in in tests. */
export type WindowClass<W> = new (options: BrowserWindowConstructorOptions) => W;

/**
 * Creates the Scout window with `BrowserWindow`, passed in so that this
 * module never loads Electron. The renderer runs sandboxed, isolated from
 * the preload, without Node, and with the web's same-origin rules. Its only
 * way to the main process is the preload's `scout.call`, `scout.onEvent` and
 * `scoutDialogs.openFile`. The options are written out here, in the call,
 * so that Electron security scanners, which read `new BrowserWindow(...)`
 * calls, see them.
 */
export function createAppWindow<W>(BrowserWindow: WindowClass<W>, preload: string): W {
  return new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: APP_NAME,
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      // Middle-click (auxclick) opens links in a new window; the open handler denies it too.
      disableBlinkFeatures: 'Auxclick',
      // A file dropped on the window must not replace the app with that file.
      navigateOnDragDrop: false,
      // Lets the user stop a page that opens dialogs in a loop.
      safeDialogs: true,
    },
  });
}

/** Returns the web preferences that `createAppWindow` gives the Scout window. */
export function windowWebPreferences(preload: string): WebPreferences {
  let options: BrowserWindowConstructorOptions = {};
  class Recorder {
    constructor(given: BrowserWindowConstructorOptions) {
      options = given;
    }
  }
  createAppWindow(Recorder, preload);
  return options.webPreferences ?? {};
}

/** Returns whether `url` is the app's own page `indexUrl`, whatever its `#route`. */
export function isOwnPage(url: string, indexUrl: URL): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.protocol === 'file:' &&
      parsed.host === indexUrl.host &&
      parsed.pathname === indexUrl.pathname &&
      parsed.search === ''
    );
  } catch {
    return false;
  }
}

/**
 * Returns whether the window may navigate to `url`: only to the app's own
 * page (a reload), never to another file or any web page.
 */
export function navigationAllowed(url: string, indexUrl: URL): boolean {
  return isOwnPage(url, indexUrl);
}

/**
 * Returns the decision for a `window.open` or target=_blank link: always deny.
 * The app has one window, and a second one of its own page would get the
 * preload and the API too.
 */
export function windowOpenPolicy(_url: string): { action: 'deny' } {
  return { action: 'deny' };
}

/** Returns whether a permission request (camera, notifications and so on) is granted: never. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}

/** Facts the main process has about the sender of an IPC message. */
export interface IpcSender {
  /** URL of the frame that sent it; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** Whether that frame is the top frame of its page. */
  isMainFrame: boolean;
  /** Whether it came from the web contents of the Scout window. */
  isAppWindow: boolean;
}

/**
 * Returns whether an IPC message is accepted: only from the main frame of
 * the Scout window showing the app's own page, so neither a sub-frame nor a
 * page the window was somehow made to show can call the API.
 */
export function ipcSenderAllowed(sender: IpcSender, indexUrl: URL): boolean {
  return (
    sender.isAppWindow &&
    sender.isMainFrame &&
    sender.frameUrl !== undefined &&
    isOwnPage(sender.frameUrl, indexUrl)
  );
}
