/**
 * The renderer's one way to reach the main process. In Electron the preload
 * exposes `window.scout`. In a browser (web mode), calls go over HTTP and
 * events over a WebSocket, and the `token` query parameter of the page URL
 * authorises both.
 */
import type {
  Channel,
  RequestOf,
  ResponseOf,
  Result,
  ScoutClient,
  ScoutEvent,
} from '../../../shared/api/contract';

/** Bridge object that the Electron preload exposes as `window.scout`. */
export interface PreloadBridge {
  call(channel: string, request: unknown): Promise<unknown>;
  onEvent(listener: (event: ScoutEvent) => void): () => void;
}

/** Optional native dialogs the Electron preload may expose as `window.scoutDialogs`. */
export interface DialogBridge {
  /** Resolves with the chosen file path, or null when the user cancels. */
  openFile(options?: { title?: string }): Promise<string | null>;
  /**
   * Resolves with the chosen folder, or null when the user cancels; only a
   * folder chosen here is accepted by `studies.saveExport`.
   */
  chooseFolder?(options?: { title?: string }): Promise<string | null>;
}

declare global {
  interface Window {
    scout?: PreloadBridge;
    scoutDialogs?: DialogBridge;
  }
}

/** First and longest wait before reconnecting a dropped event socket, in milliseconds. */
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;

let client: ScoutClient | undefined;

const reconnectListeners = new Set<() => void>();

/**
 * Subscribes to reconnections of the web-mode event socket; events sent while
 * it was down are lost, so a screen refetches its data. Returns a function that
 * unsubscribes. Never fires in Electron, whose IPC does not drop.
 */
export function onDidReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => {
    reconnectListeners.delete(listener);
  };
}

/** Returns the client for this window, created on first use. */
export function getClient(): ScoutClient {
  client ??= window.scout ? createPreloadClient(window.scout) : createWebClient(window.location);
  return client;
}

function createPreloadClient(bridge: PreloadBridge): ScoutClient {
  return {
    async call<C extends Channel>(channel: C, request: RequestOf<C>) {
      try {
        return (await bridge.call(channel, request)) as Result<ResponseOf<C>>;
      } catch (error) {
        return internalError(`call '${channel}' failed in the preload bridge: ${errorText(error)}`);
      }
    },
    onEvent: (listener) => bridge.onEvent(listener),
  };
}

/**
 * Creates the web-mode client for a page at `location`. Calls are
 * `POST /api/call/<channel>?token=T` with the JSON request as the body; the
 * reply body is the JSON `Result` envelope whatever the HTTP status.
 */
export function createWebClient(
  location: Pick<Location, 'search' | 'host' | 'protocol'>,
): ScoutClient {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const query = `?token=${encodeURIComponent(token)}`;
  const events = new EventSocket(eventSocketUrl(location, query));

  return {
    async call<C extends Channel>(channel: C, request: RequestOf<C>) {
      let response: Response;
      try {
        response = await fetch(`/api/call/${channel}${query}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(request),
        });
      } catch (error) {
        return internalError(
          `Scout's server is not reachable (${errorText(error)}); is it still running?`,
        );
      }

      return readEnvelope<ResponseOf<C>>(response, channel);
    },
    onEvent: (listener) => events.subscribe(listener),
  };
}

async function readEnvelope<T>(response: Response, channel: string): Promise<Result<T>> {
  const text = await response.text();

  try {
    const body = JSON.parse(text) as Result<T>;
    if (typeof body === 'object' && body !== null && typeof body.ok === 'boolean') {
      return body;
    }
  } catch {
    // Fall through: a proxy error page or an empty body is not an envelope.
  }

  const detail =
    response.status === 401 || response.status === 403
      ? '; open the URL that `scout serve` printed, with its token'
      : '';
  return internalError(
    `call '${channel}' returned HTTP ${response.status} without a result${detail}`,
  );
}

function eventSocketUrl(location: Pick<Location, 'host' | 'protocol'>, query: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/events${query}`;
}

/**
 * A WebSocket that stays open while anyone listens and reconnects with
 * exponential backoff after a drop, so events resume after a server restart.
 * Events sent while the socket was down are lost; screens refetch their
 * data on `onDidReconnect` to catch up.
 * NOTE: the socket stays open after the last listener unsubscribes; the app
 * subscribes once at start-up and for its whole life, so that costs nothing.
 */
class EventSocket {
  private readonly listeners = new Set<(event: ScoutEvent) => void>();
  private socket: WebSocket | undefined;
  private delayMs = RECONNECT_MIN_MS;
  private hasConnected = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly url: string) {}

  subscribe(listener: (event: ScoutEvent) => void): () => void {
    this.listeners.add(listener);
    this.ensureOpen();

    return () => {
      this.listeners.delete(listener);
    };
  }

  private ensureOpen(): void {
    if (this.socket || this.timer) {
      return;
    }

    const socket = new WebSocket(this.url);
    this.socket = socket;

    socket.onopen = () => {
      this.delayMs = RECONNECT_MIN_MS;
      if (this.hasConnected) {
        reconnectListeners.forEach((listener) => listener());
      }
      this.hasConnected = true;
    };
    socket.onmessage = (message) => this.dispatch(message.data);
    socket.onclose = () => {
      this.socket = undefined;
      this.scheduleReconnect();
    };
  }

  private dispatch(data: unknown): void {
    if (typeof data !== 'string') {
      return;
    }

    let event: ScoutEvent;
    try {
      event = JSON.parse(data) as ScoutEvent;
    } catch {
      return;
    }

    for (const listener of this.listeners) {
      listener(event);
    }
  }

  private scheduleReconnect(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, RECONNECT_MAX_MS);

    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ensureOpen();
    }, delay);
  }
}

/** Returns a failed envelope with code `internal`. */
function internalError(message: string): {
  ok: false;
  error: { code: 'internal'; message: string };
} {
  return { ok: false, error: { code: 'internal', message } };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
