/**
 * PNG export of a canvas. Chart canvases are transparent, so the image is
 * drawn over the page's surface colour first; a transparent PNG would show
 * dark text on a dark viewer background.
 */
import { base64ToBytes, downloadFile } from './download';

/** Returns a PNG data URL of `canvas` over an opaque `background`, at the canvas's pixel size. */
export function canvasToPng(canvas: HTMLCanvasElement, background: string): string {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext('2d');
  if (!context) {
    return canvas.toDataURL('image/png');
  }

  context.fillStyle = background;
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(canvas, 0, 0);
  return copy.toDataURL('image/png');
}

/** Downloads `canvas` as the PNG file `fileName`, over the theme's surface colour. */
export function downloadCanvasPng(canvas: HTMLCanvasElement, fileName: string): void {
  const background =
    getComputedStyle(document.documentElement).getPropertyValue('--surface').trim() || '#ffffff';
  const url = canvasToPng(canvas, background);
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
