/**
 * Drawing rules of the parallel-coordinates view: line colour and opacity,
 * and brushed ranges read back as values. Pure functions, so they are
 * unit-tested under Node.
 */
import type { ParallelAxis } from '../../../shared/analysis/types';
import type { ParamValue } from '../../../shared/space/types';

/** Stops of the colour ramp from worst to best objective (the viridis palette, sampled). */
const RAMP: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** Returns the ramp colour at `t` from 0 (worst) to 1 (best), as "r, g, b" for an rgba() string. */
export function rampColor(t: number): string {
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const position = clamped * (RAMP.length - 1);
  const index = Math.min(RAMP.length - 2, Math.floor(position));
  const fraction = position - index;
  const [r1, g1, b1] = RAMP[index];
  const [r2, g2, b2] = RAMP[index + 1];
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * fraction);
  return `${mix(r1, r2)}, ${mix(g1, g2)}, ${mix(b1, b2)}`;
}

/**
 * Parts of the ramp the lines use, from worst to best, per theme. The best
 * lines get the end of the ramp that contrasts most with the background:
 * the dark purple on a light theme and the yellow on a dark one. The worst
 * lines stop short of the ramp's other end, which nearly vanishes there.
 */
const LINE_RAMP = { light: [0.85, 0], dark: [0.15, 1] } as const;

/**
 * Returns the line colour for quality `t` from 0 (worst) to 1 (best), as
 * "r, g, b", on a dark background when `dark` is true.
 */
export function lineColour(t: number, dark = false): string {
  const [worst, best] = dark ? LINE_RAMP.dark : LINE_RAMP.light;
  const clamped = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return rampColor(worst + (best - worst) * clamped);
}

/** Returns the line colours from worst to best at `count` (at least 2) even steps, as CSS colours. */
export function lineColourStops(dark: boolean, count = 5): string[] {
  return Array.from(
    { length: count },
    (_, index) => `rgb(${lineColour(index / (count - 1), dark)})`,
  );
}

/** Returns the CSS gradient of the line colours from worst to best, for the legend. */
export function lineGradient(dark: boolean): string {
  return `linear-gradient(to right, ${lineColourStops(dark).join(', ')})`;
}

/**
 * Returns the WCAG contrast ratio (1 to 21) between two colours given as
 * "r, g, b" or "#rrggbb".
 */
export function contrastRatio(first: string, second: string): number {
  const high = Math.max(luminance(first), luminance(second));
  const low = Math.min(luminance(first), luminance(second));
  return (high + 0.05) / (low + 0.05);
}

function luminance(color: string): number {
  const hex = /^#([0-9a-f]{6})$/i.exec(color.trim());
  const channels = hex
    ? [0, 8, 16].map((shift) => (parseInt(hex[1], 16) >> (16 - shift)) & 255)
    : color.split(',').map((part) => Number(part.trim()));
  const [r, g, b] = channels.map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Returns the line opacity for `count` drawn lines: nearly opaque for a few
 * dozen, fading as lines pile up, so dense regions read as darker instead
 * of as a solid block. The floor keeps a single line of 10,000 visible.
 */
export function lineAlpha(count: number): number {
  if (count <= 50) {
    return 0.85;
  }
  return Math.max(0.06, Math.min(0.85, 6 / Math.sqrt(count)));
}

/**
 * Returns the value at `position` (0 to 1) of a numeric or log axis, the
 * inverse of `positionOn` in shared/analysis/parallel.ts. Returns null for a
 * categorical axis or one without bounds.
 */
export function valueAtPosition(axis: ParallelAxis, position: number): number | null {
  if (axis.kind === 'categorical' || axis.min === null || axis.max === null) {
    return null;
  }
  if (axis.kind === 'log') {
    const low = Math.log(axis.min);
    return Math.exp(low + position * (Math.log(axis.max) - low));
  }
  return axis.min + position * (axis.max - axis.min);
}

/** Returns the position (0 to 1) of category `index` of `count`: evenly spread, or the middle for one. */
export function categoryPosition(index: number, count: number): number {
  return count <= 1 ? 0.5 : index / (count - 1);
}

/** Returns the categories of `axis` whose positions lie in [low, high]. */
export function categoriesInRange(axis: ParallelAxis, low: number, high: number): ParamValue[] {
  const list = axis.categories ?? [];
  return list.filter((_, index) => {
    const position = categoryPosition(index, list.length);
    return position >= low - 1e-9 && position <= high + 1e-9;
  });
}
