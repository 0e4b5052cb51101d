/**
 * chart.js set-up: registers only the controllers and scales the app draws
 * (line, scatter and bar, on linear, logarithmic and category axes), which
 * keeps them in the bundle while tree-shaking the rest, and reads
 * chart colours from the page's CSS variables so charts follow the theme.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
);

export { Chart };

/** Colours of the current theme, read from CSS variables on `:root`. */
export interface ChartTheme {
  text: string;
  grid: string;
  accent: string;
  muted: string;
  /** Colours for series, such as one learning curve per trial. */
  series: string[];
}

/** Reads the chart colours of the current theme. */
export function chartTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string): string =>
    style.getPropertyValue(name).trim() || fallback;

  return {
    text: read('--text-muted', '#555'),
    grid: read('--border', '#ddd'),
    accent: read('--accent', '#2563eb'),
    muted: read('--chart-muted', '#9ca3af'),
    series: [1, 2, 3, 4, 5, 6].map((i) => read(`--series-${i}`, '#2563eb')),
  };
}

/**
 * Calls `listener` when the system switches between light and dark, so open
 * charts can redraw in the new colours. Returns a function that unsubscribes.
 */
export function onDidChangeTheme(listener: () => void): () => void {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', listener);
  return () => query.removeEventListener('change', listener);
}
