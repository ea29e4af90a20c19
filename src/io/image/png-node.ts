// PNG decode/encode with pngjs (it uses Node's zlib and Buffer, hence the -node suffix).
import pngjs from 'pngjs';
import { inflateSync } from 'node:zlib';
import type { HostImage } from './types.js';
import { ImageDecodeError, checkImageHeader } from './types.js';

const { PNG } = pngjs;

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/**
 * pngjs accepts image data shorter than the header's size (it leaves the rest zero), so a
 * damaged IHDR or a cut IDAT would give a silently wrong image. Inflate the IDAT stream here
 * (bounded by the size the header implies) and require exactly that many bytes.
 */
function checkPngData(bytes: Uint8Array, name: string): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  let ihdr: { w: number; h: number; depth: number; color: number; interlace: number } | null = null;
  const idat: Uint8Array[] = [];
  while (p + 8 <= bytes.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4]!, bytes[p + 5]!, bytes[p + 6]!, bytes[p + 7]!);
    if (p + 12 + len > bytes.length) break; // pngjs reports the truncation
    if (type === 'IHDR' && len >= 13) ihdr = { w: dv.getUint32(p + 8), h: dv.getUint32(p + 12), depth: bytes[p + 16]!, color: bytes[p + 17]!, interlace: bytes[p + 20]! };
    if (type === 'IDAT') idat.push(bytes.subarray(p + 8, p + 8 + len));
    if (type === 'IEND') break;
    p += 12 + len;
  }
  if (!ihdr || idat.length === 0) return; // pngjs reports these
  const ch = CHANNELS[ihdr.color];
  if (ch === undefined || ![1, 2, 4, 8, 16].includes(ihdr.depth)) return;
  const rowBytes = (w: number): number => 1 + Math.ceil((w * ch * ihdr!.depth) / 8);
  let need = 0;
  if (ihdr.interlace === 1) {
    for (const [x0, y0, dx, dy] of ADAM7) {
      const w = Math.ceil((ihdr.w - x0) / dx), h = Math.ceil((ihdr.h - y0) / dy);
      if (w > 0 && h > 0) need += h * rowBytes(w);
    }
  } else need = ihdr.h * rowBytes(ihdr.w);
  const all = new Uint8Array(idat.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of idat) {
    all.set(c, o);
    o += c.length;
  }
  let got: number;
  try {
    got = inflateSync(all, { maxOutputLength: need + 1, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a cut stream, measured below */ }).length;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') got = need + 1;
    else throw new ImageDecodeError(name, `corrupt PNG (image data does not inflate: ${(e as Error).message})`);
  }
  if (got !== need) {
    throw new ImageDecodeError(name, `corrupt PNG (image data inflates to ${got > need ? 'more than' : ''} ${Math.min(got, need + 1)} bytes, the ${ihdr.w}×${ihdr.h} header needs ${need}; damaged header or truncated data)`);
  }
}

export function decodePng(bytes: Uint8Array, name: string): HostImage {
  checkImageHeader(bytes, name);
  checkPngData(bytes, name);
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
