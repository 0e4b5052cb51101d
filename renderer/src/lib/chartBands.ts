/**
 * A chart.js plugin that shades ranges of the x axis, such as a search
 * space's bounds and a refined region, behind the data. chart.js has no
 * annotation support of its own, and the annotation plugin is not a
 * dependency, so the few rectangles are drawn here.
 */
import type { Chart, Plugin } from 'chart.js';

/** A shaded range of x values, with the label drawn at its top. */
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

/** Height of a band's label row above the chart area's top edge, in CSS pixels. */
const LABEL_OFFSET = 2;

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
    ctx.fillStyle = band.stroke;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    // Labels of nested bands are stacked so they do not overlap.
    ctx.fillText(band.label, left + 4, chartArea.top + LABEL_OFFSET + index * 13);
  });

  ctx.restore();
}
