/**
 * Keeps a screen's data fresh: calls `reload` shortly after events that
 * concern it and after the event socket reconnects. Bursts of events
 * (a trial ending, then the next starting) cause one reload, not many.
 */
import type { ScoutEvent } from '../../../shared/api/contract';
import { getClient, onDidReconnect } from './client';

/** Delay after the last event before reloading, in milliseconds. */
const RELOAD_DELAY_MS = 250;

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

  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(reload, RELOAD_DELAY_MS);
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
