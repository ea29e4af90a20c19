// The Node image codec: PNG via pngjs, JPEG via jpeg-js, chosen by sniffing the bytes.
import type { HostImage, ImageCodec } from './types.js';
import { ImageDecodeError, sniffImage } from './types.js';
import { decodeJpeg } from './jpeg.js';
import { encodeJpeg } from './jpeg-node.js';
import { decodePng, encodePng } from './png-node.js';

export function decodeImage(bytes: Uint8Array, name: string): HostImage {
  const kind = sniffImage(bytes);
  if (kind === 'png') return decodePng(bytes, name);
  if (kind === 'jpeg') return decodeJpeg(bytes, name);
  if (bytes.length === 0) throw new ImageDecodeError(name, 'empty file, expected a PNG or JPEG image');
  throw new ImageDecodeError(name, 'not a PNG or JPEG image (unknown signature)');
}

export const nodeCodec: ImageCodec = { decode: decodeImage, encodePng, encodeJpeg };
