/**
 * The part of the ZIP format (PKWARE APPNOTE 6.3) that PyTorch checkpoints use: entries *stored*
 * (method 0, no compression), found through the central directory, with ZIP64 sizes/offsets in
 * the extra field. Pure (bytes in, bytes out); no Node.
 *
 * Reading checks signatures, that every entry lies inside the file, and each entry's CRC-32.
 * Compressed entries, encryption and split archives are refused with the entry's name.
 * Writing produces stored entries whose data starts on a 64-byte boundary (as torch.save does,
 * so readers can map tensors in place), then the central directory and end record.
 */

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipEntry {
  name: string;
  /** The entry's bytes (a view into the archive). */
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIG_LOCAL = 0x04034b50, SIG_CENTRAL = 0x02014b50, SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50, SIG_LOC64 = 0x07064b50;

/** True when the bytes start like a ZIP archive (local file header signature). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads every entry of a ZIP archive of stored entries. */
export function readZip(bytes: Uint8Array, source = '<bytes>'): ZipEntry[] {
  const fail = (msg: string): never => {
    throw new ZipError(`${source}: ${msg}`);
  };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u64 = (o: number): number => {
    const v = u32(o) + u32(o + 4) * 2 ** 32;
    if (!Number.isSafeInteger(v)) fail(`64-bit field at byte ${o} is too large`);
    return v;
  };
  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  let end = -1;
  for (let o = bytes.length - 22; o >= Math.max(0, bytes.length - 22 - 65535); o--) {
    if (u32(o) === SIG_END) {
      end = o;
      break;
    }
  }
  if (end < 0) fail('no ZIP end-of-central-directory record (truncated or not a ZIP archive)');
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0) fail('split (multi-disk) ZIP archives are not supported');
  let count = u16(end + 10);
  let cdSize = u32(end + 12);
  let cdOffset = u32(end + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = end - 20;
    if (loc < 0 || u32(loc) !== SIG_LOC64) fail('ZIP64 end-of-central-directory locator missing');
    const e64 = u64(loc + 8);
    if (e64 + 56 > bytes.length || u32(e64) !== SIG_END64) fail('ZIP64 end-of-central-directory record missing or outside the file');
    count = u64(e64 + 32);
    cdSize = u64(e64 + 40);
    cdOffset = u64(e64 + 48);
  }
  if (cdOffset + cdSize > bytes.length) fail(`central directory (offset ${cdOffset}, ${cdSize} bytes) runs past the end of the ${bytes.length}-byte file (truncated?)`);
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || u32(p) !== SIG_CENTRAL) fail(`central directory entry ${i} has a bad signature`);
    const flags = u16(p + 8), method = u16(p + 10), crc = u32(p + 16);
    let compSize = u32(p + 20), size = u32(p + 24);
    const nameLen = u16(p + 28), extraLen = u16(p + 30), commentLen = u16(p + 32);
    let local = u32(p + 42);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: the fields that read 0xffffffff follow in this order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = u16(x), len = u16(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff) (size = u64(q)), (q += 8);
        if (compSize === 0xffffffff) (compSize = u64(q)), (q += 8);
        if (local === 0xffffffff) local = u64(q);
      }
      x += 4 + len;
    }
    if (flags & 1) fail(`entry '${name}' is encrypted`);
    if (method !== 0) fail(`entry '${name}' is compressed (method ${method}); only stored entries (as torch.save writes them) are supported`);
    if (compSize !== size) fail(`entry '${name}': stored size ${compSize} differs from its size ${size}`);
    if (local + 30 > bytes.length || u32(local) !== SIG_LOCAL) fail(`entry '${name}': local header at ${local} is missing`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > bytes.length) fail(`entry '${name}' (${size} bytes at ${start}) runs past the end of the file (truncated?)`);
    const data = bytes.subarray(start, start + size);
    if (crc32(data) !== crc) fail(`entry '${name}': CRC-32 mismatch (corrupt file)`);
    entries.push({ name, data });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Writes stored entries (data 64-byte aligned); sizes must stay below 4 GiB each and in total. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const ALIGN = 64;
  interface Placed { name: Uint8Array; data: Uint8Array; crc: number; local: number; pad: number }
  const placed: Placed[] = [];
  let off = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const headerEnd = off + 30 + name.length;
    // Pad with an extra field (id 0x4246, as PyTorch uses) so the data starts aligned.
    let pad = (ALIGN - ((headerEnd + 4) % ALIGN)) % ALIGN;
    pad += 4;
    placed.push({ name, data: e.data, crc: crc32(e.data), local: off, pad });
    off = headerEnd + pad + e.data.length;
  }
  const cdStart = off;
  const cdSize = placed.reduce((a, p) => a + 46 + p.name.length, 0);
  const total = cdStart + cdSize + 22;
  if (total >= 0xffffffff) throw new ZipError(`archive of ${total} bytes needs ZIP64, which this writer does not produce`);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  for (const p of placed) {
    let o = p.local;
    dv.setUint32(o, SIG_LOCAL, true);
    dv.setUint16(o + 4, 20, true); // version needed
    dv.setUint16(o + 8, 0, true); // method: stored
    dv.setUint32(o + 14, p.crc, true);
    dv.setUint32(o + 18, p.data.length, true);
    dv.setUint32(o + 22, p.data.length, true);
    dv.setUint16(o + 26, p.name.length, true);
    dv.setUint16(o + 28, p.pad, true);
    out.set(p.name, o + 30);
    o += 30 + p.name.length;
    dv.setUint16(o, 0x4246, true);
    dv.setUint16(o + 2, p.pad - 4, true);
    out.set(p.data, o + p.pad);
  }
  let c = cdStart;
  for (const p of placed) {
    dv.setUint32(c, SIG_CENTRAL, true);
    dv.setUint16(c + 4, 20, true); // version made by
    dv.setUint16(c + 6, 20, true); // version needed
    dv.setUint32(c + 16, p.crc, true);
    dv.setUint32(c + 20, p.data.length, true);
    dv.setUint32(c + 24, p.data.length, true);
    dv.setUint16(c + 28, p.name.length, true);
    dv.setUint32(c + 42, p.local, true);
    out.set(p.name, c + 46);
    c += 46 + p.name.length;
  }
  dv.setUint32(c, SIG_END, true);
  dv.setUint16(c + 8, placed.length, true);
  dv.setUint16(c + 10, placed.length, true);
  dv.setUint32(c + 12, cdSize, true);
  dv.setUint32(c + 16, cdStart, true);
  return out;
}
