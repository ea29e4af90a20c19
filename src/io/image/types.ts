// The decoded-image shape shared with the data layer, and the codec interface that format
// loaders receive (so they stay free of Node APIs and of any particular decoder).
export type { HostImage } from '../../data/image.js';
import type { HostImage } from '../../data/image.js';

export interface ImageCodec {
  /** Decode PNG or JPEG (sniffed from the bytes); `name` is only used in error messages. */
  decode(bytes: Uint8Array, name: string): HostImage;
  encodePng(img: HostImage): Uint8Array;
  encodeJpeg(img: HostImage, quality?: number): Uint8Array;
}

export type ImageKind = 'png' | 'jpeg' | 'unknown';

/** Identify PNG / JPEG by their signatures. */
export function sniffImage(bytes: Uint8Array): ImageKind {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return 'unknown';
}

/** Raised for undecodable image bytes; loaders turn it into a DataError naming the file. */
export class ImageDecodeError extends Error {
  constructor(name: string, what: string) {
    super(`${name}: ${what}`);
    this.name = 'ImageDecodeError';
  }
}
