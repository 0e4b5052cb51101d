/**
 * JSON has no NaN or Infinity, and `JSON.stringify` silently writes `null`
 * for them. Scout writes non-finite numbers as the strings "NaN",
 * "Infinity" and "-Infinity" instead, in its database and in every export,
 * so a diverged metric stays visible.
 */

/** Returns `value` as a string when it is a non-finite number, else unchanged. */
export function encodeNonFinite(value: unknown): unknown {
  if (typeof value !== 'number' || Number.isFinite(value)) {
    return value;
  }

  if (Number.isNaN(value)) {
    return 'NaN';
  }
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Stringifies `value` as JSON, writing non-finite numbers by the rule above. */
export function stringifyJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, item: unknown) => encodeNonFinite(item), indent);
}

/**
 * Parses a record of metric values written by `stringifyJson`, turning the
 * strings "NaN", "Infinity" and "-Infinity" back into numbers.
 */
export function parseMetrics(text: string): Record<string, number> {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const metrics: Record<string, number> = {};

  for (const [name, value] of Object.entries(raw)) {
    metrics[name] = typeof value === 'number' ? value : Number(value);
  }
  return metrics;
}
