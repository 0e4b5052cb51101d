/**
 * The life cycle of a chart.js chart inside a Svelte component: created once
 * its canvas is mounted, redrawn when the values it shows or the theme
 * change, destroyed with the component.
 */
import { untrack } from 'svelte';
import { chartTheme, onDidChangeTheme, type ChartTheme } from './charts';

/**
 * Draws a chart on the canvas that `canvas` returns. `create` builds the
 * chart once per canvas, outside any dependency tracking. `configure` sets
 * its data, scales and colours and updates it. Because `configure` runs in an
 * effect, it runs again whenever a reactive value it reads changes, and it
 * also runs in the new colours when the system switches between light and
 * dark. Call during component initialisation, as effects require.
 */
export function drawChart<TChart extends { destroy(): void }>(
  canvas: () => HTMLCanvasElement | undefined,
  create: (canvas: HTMLCanvasElement) => TChart,
  configure: (chart: TChart, theme: ChartTheme) => void,
): void {
  let chart = $state.raw<TChart>();

  $effect(() => {
    const element = canvas();
    if (!element) {
      return;
    }
    const created = untrack(() => create(element));
    chart = created;
    const stopThemeWatch = onDidChangeTheme(() => configure(created, chartTheme()));

    return () => {
      stopThemeWatch();
      created.destroy();
      chart = undefined;
    };
  });

  $effect(() => {
    if (chart) {
      configure(chart, chartTheme());
    }
  });
}
