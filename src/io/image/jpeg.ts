// JPEG decoding with jpeg-js, a pure-JS decoder that needs no Node APIs when asked for typed
// arrays (useTArray), so this file is safe in the browser.
import jpeg from 'jpeg-js';
import type { HostImage } from './types.js';
import { ImageDecodeError, checkImageHeader } from './types.js';

/** A JPEG must end with the EOI marker; jpeg-js happily decodes a truncated file into grey. */
function hasEndMarker(b: Uint8Array): boolean {
  // Some writers pad after EOI; look at the last few bytes.
  for (let i = b.length - 2; i >= Math.max(0, b.length - 16); i--) {
    if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  }
  return false;
}

export function decodeJpeg(bytes: Uint8Array, name: string): HostImage {
  checkImageHeader(bytes, name);
  if (!hasEndMarker(bytes)) throw new ImageDecodeError(name, 'truncated JPEG (no end-of-image marker)');
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt JPEG (${(e as Error).message})`);
  }
  if (!(raw.width > 0 && raw.height > 0) || raw.data.length !== raw.width * raw.height * 3) {
    throw new ImageDecodeError(name, 'corrupt JPEG (bad dimensions)');
  }
  return { width: raw.width, height: raw.height, channels: 3, data: raw.data };
}
