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

/**
 * Largest image the decoders accept (width × height). A face dataset never comes near it; a
 * damaged or hostile header that claims more would make the decoder allocate gigabytes before
 * noticing the data is missing, so the size is checked from the header first.
 */
export const MAX_IMAGE_PIXELS = 6000 * 6000;

/** Width and height from a PNG IHDR or a JPEG SOF header, or null when not found. */
export function imageHeaderSize(bytes: Uint8Array): { width: number; height: number } | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = sniffImage(bytes);
  if (kind === 'png') return bytes.length >= 24 ? { width: dv.getUint32(16), height: dv.getUint32(20) } : null;
  if (kind !== 'jpeg') return null;
  // Walk the marker segments up to the first start-of-frame (SOF0..SOF15 except DHT/JPG/DAC).
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return null;
    const marker = bytes[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    const len = dv.getUint16(p + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return p + 9 <= bytes.length ? { height: dv.getUint16(p + 5), width: dv.getUint16(p + 7) } : null;
    }
    if (marker === 0xda || len < 2) return null; // scan data before any frame header
    p += 2 + len;
  }
  return null;
}

/** Throws an ImageDecodeError when the header claims an empty or oversized image. */
export function checkImageHeader(bytes: Uint8Array, name: string): void {
  const s = imageHeaderSize(bytes);
  if (!s) return; // the decoder reports what is wrong
  if (s.width === 0 || s.height === 0) throw new ImageDecodeError(name, `header says ${s.width}×${s.height} pixels (empty image)`);
  if (s.width * s.height > MAX_IMAGE_PIXELS) {
    throw new ImageDecodeError(name, `header says ${s.width}×${s.height} pixels, more than the ${MAX_IMAGE_PIXELS} this loader accepts (damaged header?)`);
  }
  // Neither format can compress beyond a bound: deflate at most ~1032:1 on bytes that hold at
  // least 1/8 pixel each (PNG), baseline JPEG spends at least ~2 bits per 8×8 block (≤ 256 pixels
  // per byte). A header claiming more pixels than the file could hold is damaged; decoding it
  // would only allocate the claimed size and fail later (or slowly).
  const perByte = sniffImage(bytes) === 'png' ? 8 * 1032 : 1024;
  if (s.width * s.height > perByte * bytes.length) {
    throw new ImageDecodeError(name, `header says ${s.width}×${s.height} pixels, more than a ${bytes.length}-byte file can hold (damaged header or truncated file)`);
  }
}
