// PNG encoding of chart rasters with pngjs (Node's zlib and Buffer, hence -node).
import pngjs from 'pngjs';
import { writeFileAtomic } from './atomic-node.js';
import type { RgbaImage } from './plot/raster.js';

const { PNG } = pngjs;

/** RGBA 8-bit PNG bytes for an image. */
export function encodePng(image: RgbaImage): Uint8Array {
  if (image.rgba.length !== image.width * image.height * 4) {
    throw new RangeError(`encodePng: ${image.rgba.length} bytes for a ${image.width}x${image.height} RGBA image`);
  }
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.rgba.buffer, image.rgba.byteOffset, image.rgba.byteLength);
  const buf = PNG.sync.write(png, { colorType: 6 });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Encodes and writes atomically, so a viewer refreshing the report never sees half a PNG. */
export function writePng(path: string, image: RgbaImage): void {
  writeFileAtomic(path, encodePng(image));
}

/** Decodes a PNG to RGBA (for tests and for reloading figures). */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}
