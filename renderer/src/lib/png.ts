/**
 * PNG export of a chart: a title line, the chart drawn again at a higher
 * pixel ratio than the screen's, and an optional colour legend, over the
 * page's surface colour. Chart canvases are transparent, and a transparent
 * PNG would show dark text on a dark viewer background.
 */
import { getContext, setContext } from 'svelte';
import { Chart } from './charts';
import { base64ToBytes, downloadFile } from './download';

/** Pixel ratio of exported images: 2 image pixels per CSS pixel of the chart. */
export const EXPORT_PIXEL_RATIO = 2;

/** A colour ramp legend under an exported chart. */
export interface PngLegend {
  /** CSS colours of the ramp from its left end to its right end. */
  colours: string[];
  /** Labels under the left and the right end, such as the worst and the best objective. */
  left: string;
  right: string;
  /** Text after the ramp, such as "line colour: val_accuracy, worst to best". */
  caption: string;
}

/** Title, legend and colours of an exported image, around the chart. */
export interface PngLayout {
  /** Title line above the chart, such as the study name and the chart name. */
  title: string;
  legend?: PngLegend;
  /** Page colours: the opaque background and the text. */
  background: string;
  text: string;
}

/** Height of the title line and of the legend, in CSS pixels. */
const TITLE_HEIGHT = 28;
const LEGEND_HEIGHT = 34;

/**
 * Returns a canvas with `chart` (drawn at `ratio` image pixels per CSS pixel)
 * under a title line and over the optional legend, at the same ratio.
 */
export function composePng(
  chart: HTMLCanvasElement,
  layout: PngLayout,
  ratio: number,
): HTMLCanvasElement {
  const width = chart.width / ratio;
  const height = TITLE_HEIGHT + chart.height / ratio + (layout.legend ? LEGEND_HEIGHT : 0);
  const copy = document.createElement('canvas');
  copy.width = Math.round(width * ratio);
  copy.height = Math.round(height * ratio);
  const context = copy.getContext('2d');
  if (!context) {
    return chart;
  }

  context.scale(ratio, ratio);
  context.fillStyle = layout.background;
  context.fillRect(0, 0, width, height);
  context.fillStyle = layout.text;
  context.textBaseline = 'middle';
  // A long title on a narrow chart gets a smaller font before the canvas squeezes it to the width.
  for (let size = 14; size >= 10; size--) {
    context.font = `600 ${size}px system-ui, sans-serif`;
    if (context.measureText(layout.title).width <= width - 16) {
      break;
    }
  }
  context.fillText(layout.title, 8, TITLE_HEIGHT / 2, width - 16);
  context.drawImage(chart, 0, TITLE_HEIGHT, width, chart.height / ratio);

  if (layout.legend) {
    drawLegend(context, layout.legend, layout.text, TITLE_HEIGHT + chart.height / ratio);
  }
  return copy;
}

function drawLegend(
  context: CanvasRenderingContext2D,
  legend: PngLegend,
  text: string,
  top: number,
): void {
  const left = 8;
  const rampWidth = 160;
  const gradient = context.createLinearGradient(left, 0, left + rampWidth, 0);
  legend.colours.forEach((colour, index) => {
    gradient.addColorStop(index / Math.max(1, legend.colours.length - 1), colour);
  });
  context.fillStyle = gradient;
  context.fillRect(left, top + 4, rampWidth, 10);

  context.fillStyle = text;
  context.font = '11px system-ui, sans-serif';
  context.textBaseline = 'top';
  context.textAlign = 'left';
  context.fillText(legend.left, left, top + 17);
  context.textAlign = 'right';
  context.fillText(legend.right, left + rampWidth, top + 17);
  context.textAlign = 'left';
  context.textBaseline = 'middle';
  context.fillText(legend.caption, left + rampWidth + 8, top + 9);
}

/**
 * Returns the chart on `canvas` drawn at `ratio` image pixels per CSS pixel.
 * A chart.js chart is redrawn at that ratio and then restored; any other
 * canvas is returned as it is, at the screen's ratio.
 */
export function renderChartAt(
  canvas: HTMLCanvasElement,
  ratio: number,
): { canvas: HTMLCanvasElement; ratio: number } {
  const chart = Chart.getChart(canvas);
  if (!chart) {
    return { canvas: copyCanvas(canvas), ratio: canvas.width / Math.max(1, canvas.clientWidth) };
  }

  const screenRatio = chart.options.devicePixelRatio;
  try {
    chart.options.devicePixelRatio = ratio;
    chart.resize();
    chart.update('none');
    return { canvas: copyCanvas(canvas), ratio };
  } finally {
    chart.options.devicePixelRatio = screenRatio;
    chart.resize();
    chart.update('none');
  }
}

function copyCanvas(canvas: HTMLCanvasElement): HTMLCanvasElement {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  copy.getContext('2d')?.drawImage(canvas, 0, 0);
  return copy;
}

/** Returns the page's surface and text colours of the current theme. */
export function pageColours(): { background: string; text: string } {
  const style = getComputedStyle(document.documentElement);
  return {
    background: style.getPropertyValue('--surface').trim() || '#ffffff',
    text: style.getPropertyValue('--text').trim() || '#1b1d21',
  };
}

/** Downloads `image` as the PNG file `fileName`. */
export function downloadPng(image: HTMLCanvasElement, fileName: string): void {
  const url = image.toDataURL('image/png');
  const base64 = url.slice(url.indexOf(',') + 1);
  downloadFile(fileName, base64ToBytes(base64), 'image/png');
}

/** Turns a hyperparameter or study name into a safe file-name part: "learning rate/x" becomes "learning-rate-x". */
export function fileNamePart(text: string): string {
  const cleaned = text
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned || 'chart';
}

const STUDY_NAME_KEY = Symbol('png-study-name');

/**
 * Makes `name` the study name in the titles of the PNG exports of the
 * components below the caller. Call during component initialisation.
 */
export function setPngStudyName(name: () => string | undefined): void {
  setContext(STUDY_NAME_KEY, name);
}

/** Returns the study name that `setPngStudyName` set above the caller, or undefined. Call during initialisation. */
export function pngStudyName(): (() => string | undefined) | undefined {
  return getContext<(() => string | undefined) | undefined>(STUDY_NAME_KEY);
}
