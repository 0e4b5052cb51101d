/**
 * Display helpers for numbers, values and durations. Pure functions, so they
 * are unit-tested under Node.
 */
import type { ParamValue } from '../../../shared/space/types';

/** Shown for a value that does not exist yet (no objective, no duration). */
export const MISSING = '—';

/**
 * Turns a metric as it arrives over the API into a number: non-finite
 * numbers travel as the strings "NaN", "Infinity" and "-Infinity".
 * Returns null for anything else that is not a number.
 */
export function metricNumber(value: unknown): number | null {
  if (typeof value === 'number') {
    return value;
  }

  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') {
    return Number(value);
  }
  return null;
}

/**
 * Formats a number with up to `digits` significant digits, in exponent
 * notation when very small or very large. Non-finite values read "NaN",
 * "Infinity" or "-Infinity", and null or undefined read as MISSING.
 */
export function formatNumber(value: unknown, digits = 4): string {
  const number = metricNumber(value);
  if (number === null) {
    return MISSING;
  }

  if (!Number.isFinite(number)) {
    return String(number);
  }

  if (Number.isInteger(number) && Math.abs(number) < 1e9) {
    return String(number);
  }

  const magnitude = Math.abs(number);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) {
    return trimExponent(number.toExponential(digits - 1));
  }
  return String(Number(number.toPrecision(digits)));
}

/** Drops trailing zeros of the mantissa: 1.000e-4 reads 1e-4, 2.500e-3 reads 2.5e-3. */
function trimExponent(text: string): string {
  return text.replace(/\.?0+e/, 'e').replace('e+', 'e');
}

/** Formats a hyperparameter value: numbers as by formatNumber, strings and booleans as they are. */
export function formatValue(value: ParamValue | null | undefined): string {
  if (value === null || value === undefined) {
    return MISSING;
  }
  return typeof value === 'number' ? formatNumber(value) : String(value);
}

/** Formats a duration in milliseconds as "850 ms", "12.3 s", "4 min 05 s" or "2 h 03 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) {
    return MISSING;
  }

  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }

  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }

  const wholeSeconds = Math.round(seconds);
  const minutes = Math.floor(wholeSeconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${pad2(wholeSeconds % 60)} s`;
  }

  return `${Math.floor(minutes / 60)} h ${pad2(minutes % 60)} min`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Formats an ISO timestamp in the user's locale, or MISSING. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) {
    return MISSING;
  }

  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
