// JPEG encoding with jpeg-js (its encoder returns a Node Buffer, hence the -node suffix).
import jpeg from 'jpeg-js';
import type { HostImage } from './types.js';

export function encodeJpeg(img: HostImage, quality = 92): Uint8Array {
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    const r = img.data[i * c] as number;
    rgba[4 * i] = r;
    rgba[4 * i + 1] = c === 3 ? (img.data[i * c + 1] as number) : r;
    rgba[4 * i + 2] = c === 3 ? (img.data[i * c + 2] as number) : r;
    rgba[4 * i + 3] = 255;
  }
  const out = jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
}
