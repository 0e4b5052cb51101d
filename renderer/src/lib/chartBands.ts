/**
 * A chart.js plugin that shades ranges of the x axis, such as a search
 * space's bounds and a refined region, behind the data. chart.js has no
 * annotation support of its own, and the annotation plugin is not a
 * dependency, so the few rectangles are drawn here.
 */
import type { Chart, Plugin } from 'chart.js';

/** A shaded range of x values, with its label drawn above the chart area. */
export interface XBand {
  /** Lower and upper x values, in data units; drawn clipped to the chart area. */
  from: number;
  to: number;
  label: string;
  /** Fill colour, usually translucent. */
  fill: string;
  /** Edge and label colour. */
  stroke: string;
}

/** Height of one label row above the chart area, in CSS pixels. */
export const BAND_LABEL_ROW = 14;

/** Side of the colour swatch before each band label, in CSS pixels. */
const SWATCH = 9;

/**
 * Returns the top padding a chart needs so that the labels of `count` bands
 * fit above its chart area, in CSS pixels.
 */
export function bandLabelsPadding(count: number): number {
  return count === 0 ? 4 : 6 + count * BAND_LABEL_ROW;
}

/**
 * Creates the plugin for one chart; pass it in that chart's `plugins` list.
 * It reads the bands from `bands` at each draw instead of from the chart's
 * options, because chart.js passes plugin options through its option
 * resolvers, and replacing `options.plugins` on a live chart recursed there.
 */
export function createXBandsPlugin(bands: () => XBand[]): Plugin {
  return {
    id: 'xBands',
    beforeDatasetsDraw(chart: Chart) {
      drawBands(chart, bands());
    },
  };
}

function drawBands(chart: Chart, bands: XBand[]): void {
  const xScale = chart.scales.x;
  if (!xScale || bands.length === 0) {
    return;
  }

  const { ctx, chartArea } = chart;
  ctx.save();
  ctx.beginPath();
  ctx.rect(
    chartArea.left,
    chartArea.top,
    chartArea.right - chartArea.left,
    chartArea.bottom - chartArea.top,
  );
  ctx.clip();

  bands.forEach((band, index) => {
    const left = Math.max(chartArea.left, xScale.getPixelForValue(band.from));
    const right = Math.min(chartArea.right, xScale.getPixelForValue(band.to));
    if (!(right >= left)) {
      return;
    }

    ctx.fillStyle = band.fill;
    ctx.fillRect(left, chartArea.top, Math.max(1, right - left), chartArea.bottom - chartArea.top);
    ctx.strokeStyle = band.stroke;
    ctx.setLineDash(index === 0 ? [4, 3] : []);
    ctx.lineWidth = 1;
    ctx.strokeRect(
      left,
      chartArea.top,
      Math.max(1, right - left),
      chartArea.bottom - chartArea.top,
    );
    ctx.setLineDash([]);
  });
  ctx.restore();

  drawLabels(chart, bands);
}

/**
 * Draws the band labels in rows above the chart area, one row per band, so
 * they never cover a point. Each label starts at its band's left edge, or at
 * the chart area's left edge when the band starts outside it, and is moved
 * left when it would run past the canvas.
 */
function drawLabels(chart: Chart, bands: XBand[]): void {
  const xScale = chart.scales.x;
  const { ctx, chartArea } = chart;
  ctx.save();
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';

  bands.forEach((band, index) => {
    const rowMiddle = chartArea.top - 4 - (bands.length - index - 0.5) * BAND_LABEL_ROW;
    const textWidth = ctx.measureText(band.label).width;
    const bandLeft = Math.max(chartArea.left, xScale.getPixelForValue(band.from));
    const x = Math.max(0, Math.min(bandLeft, chart.width - textWidth - SWATCH - 6));

    ctx.fillStyle = band.fill;
    ctx.strokeStyle = band.stroke;
    ctx.lineWidth = 1;
    ctx.setLineDash(index === 0 ? [2, 2] : []);
    ctx.fillRect(x + 0.5, rowMiddle - SWATCH / 2, SWATCH, SWATCH);
    ctx.strokeRect(x + 0.5, rowMiddle - SWATCH / 2, SWATCH, SWATCH);
    ctx.setLineDash([]);
    ctx.fillStyle = band.stroke;
    ctx.fillText(band.label, x + SWATCH + 4, rowMiddle);
  });

  ctx.restore();
}
