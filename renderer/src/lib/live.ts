/**
 * Keeps a screen's data fresh: calls `reload` shortly after events that
 * concern it and after the event socket reconnects. Bursts of events
 * (a trial ending, then the next starting) cause one reload, not many, and a
 * steady stream of events (trials of a fraction of a second) still causes a
 * reload at least every RELOAD_MAX_DELAY_MS.
 */
import type { ScoutEvent } from '../../../shared/api/contract';
import { getClient, onDidReconnect } from './client';

/** Delay after the last event before reloading, in milliseconds. */
const RELOAD_DELAY_MS = 250;

/** Maximum delay after the first event of a burst before reloading, in milliseconds. */
const RELOAD_MAX_DELAY_MS = 1000;

/**
 * Subscribes to events. `reload` runs once per burst of events that pass
 * `filter`, and `onEvent` (when given) receives every event at once. Returns
 * a function that unsubscribes and cancels a pending reload.
 */
export function watchEvents(
  reload: () => void,
  filter: (event: ScoutEvent) => boolean = () => true,
  onEvent?: (event: ScoutEvent) => void,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** Time by which the pending reload must run; null when none is pending. */
  let deadline: number | null = null;

  const run = (): void => {
    timer = undefined;
    deadline = null;
    reload();
  };

  const schedule = (): void => {
    const now = Date.now();
    deadline ??= now + RELOAD_MAX_DELAY_MS;
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(RELOAD_DELAY_MS, deadline - now)));
  };

  const stopEvents = getClient().onEvent((event) => {
    onEvent?.(event);
    if (filter(event)) {
      schedule();
    }
  });
  const stopReconnect = onDidReconnect(schedule);

  return () => {
    clearTimeout(timer);
    stopEvents();
    stopReconnect();
  };
}
