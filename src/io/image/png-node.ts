// PNG decode/encode with pngjs (it uses Node's zlib and Buffer, hence the -node suffix).
import pngjs from 'pngjs';
import type { HostImage } from './types.js';
import { ImageDecodeError } from './types.js';

const { PNG } = pngjs;

export function decodePng(bytes: Uint8Array, name: string): HostImage {
  let png: { width: number; height: number; data: Buffer };
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(name, `corrupt PNG (${(e as Error).message})`);
  }
  const n = png.width * png.height;
  const src = png.data; // always RGBA 8-bit after pngjs normalisation
  // Keep grey images grey: they are what FER-style datasets ship.
  let grey = true;
  for (let i = 0; i < n && grey; i++) {
    const r = src[4 * i];
    if (r !== src[4 * i + 1] || r !== src[4 * i + 2]) grey = false;
  }
  if (grey) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = src[4 * i] as number;
    return { width: png.width, height: png.height, channels: 1, data: out };
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = src[4 * i] as number;
    out[3 * i + 1] = src[4 * i + 1] as number;
    out[3 * i + 2] = src[4 * i + 2] as number;
  }
  return { width: png.width, height: png.height, channels: 3, data: out };
}

export function encodePng(img: HostImage): Uint8Array {
  const buf = PNG.sync.write(
    { width: img.width, height: img.height, data: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength) } as unknown as InstanceType<typeof PNG>,
    { colorType: img.channels === 1 ? 0 : 2, inputColorType: img.channels === 1 ? 0 : 2, inputHasAlpha: false },
  );
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
