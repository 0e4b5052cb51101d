/**
 * Preload of the Scout window. It runs sandboxed, where `require` can load
 * only 'electron' (and a few Node built-ins), so this file imports nothing
 * else at run time: the other imports are types only, which compile away.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { ScoutEvent } from '../../shared/api/contract';

// The same channel names as main.ts, which this file cannot import.
const CALL_CHANNEL = 'scout:call';
const EVENT_CHANNEL = 'scout:event';
const OPEN_FILE_CHANNEL = 'dialog:openFile';
const OPEN_FOLDER_CHANNEL = 'dialog:openFolder';

contextBridge.exposeInMainWorld('scout', {
  /** Sends one API call; resolves with the Result envelope. */
  call: (channel: string, request: unknown): Promise<unknown> =>
    ipcRenderer.invoke(CALL_CHANNEL, channel, request),

  /** Subscribes to study and trial events; returns a function that unsubscribes. */
  onEvent: (listener: (event: ScoutEvent) => void): (() => void) => {
    // The IPC event object is not passed on: it would expose `sender` to the page.
    const forward = (_ipcEvent: IpcRendererEvent, event: ScoutEvent) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
});

contextBridge.exposeInMainWorld('scoutDialogs', {
  /** Shows the system's open-file dialog; resolves with the chosen path, or null when cancelled. */
  openFile: (options?: { title?: string }): Promise<string | null> =>
    ipcRenderer.invoke(OPEN_FILE_CHANNEL, {
      title: typeof options?.title === 'string' ? options.title : undefined,
    }),

  /**
   * Shows the system's folder dialog; resolves with the chosen folder, or null when cancelled.
   * Only a folder chosen here is accepted by `studies.saveExport`.
   */
  chooseFolder: (options?: { title?: string }): Promise<string | null> =>
    ipcRenderer.invoke(OPEN_FOLDER_CHANNEL, {
      title: typeof options?.title === 'string' ? options.title : undefined,
    }),
});
