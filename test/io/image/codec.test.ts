import { describe, expect, it } from 'vitest';
import { decodeImage, nodeCodec } from '../../../src/io/image/codec-node.js';
import { decodeJpeg } from '../../../src/io/image/jpeg.js';
import { sniffImage } from '../../../src/io/image/types.js';
import type { HostImage } from '../../../src/data/image.js';

function gradient(w: number, h: number, channels: 1 | 3): HostImage {
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = (x * 4 + y * 2 + c * 40) % 256;
    }
  }
  return { width: w, height: h, channels, data };
}

describe('PNG', () => {
  it('round-trips RGB and grey exactly', () => {
    for (const ch of [1, 3] as const) {
      const img = gradient(37, 23, ch);
      const back = decodeImage(nodeCodec.encodePng(img), 'x.png');
      expect(back.width).toBe(37);
      expect(back.height).toBe(23);
      expect(back.channels).toBe(ch);
      expect(Array.from(back.data)).toEqual(Array.from(img.data));
    }
  });

  it('rejects corrupt and truncated files with the file name', () => {
    const bytes = nodeCodec.encodePng(gradient(20, 20, 3));
    const truncated = bytes.slice(0, Math.floor(bytes.length / 2));
    expect(() => decodeImage(truncated, 'cut.png')).toThrow(/cut\.png.*PNG/);
    const corrupt = bytes.slice();
    for (let i = 40; i < corrupt.length - 20; i++) corrupt[i] = (corrupt[i]! * 7 + 13) & 255;
    expect(() => decodeImage(corrupt, 'bad.png')).toThrow(/bad\.png/);
  });
});

describe('JPEG', () => {
  it('round-trips within codec tolerance', () => {
    const img = gradient(64, 48, 3);
    const bytes = nodeCodec.encodeJpeg(img, 95);
    expect(sniffImage(bytes)).toBe('jpeg');
    const back = decodeJpeg(bytes, 'x.jpg');
    expect([back.width, back.height, back.channels]).toEqual([64, 48, 3]);
    let err = 0;
    for (let i = 0; i < img.data.length; i++) err += Math.abs(back.data[i]! - img.data[i]!);
    expect(err / img.data.length).toBeLessThan(4);
  });

  it('rejects truncated and garbage data', () => {
    const bytes = nodeCodec.encodeJpeg(gradient(32, 32, 3), 90);
    expect(() => decodeImage(bytes.slice(0, bytes.length - 200), 'cut.jpg')).toThrow(/cut\.jpg.*truncated JPEG/);
    const garbage = bytes.slice();
    for (let i = 2; i < 200; i++) garbage[i] = 0x55;
    expect(() => decodeImage(garbage, 'g.jpg')).toThrow(/g\.jpg/);
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'r.bin')).toThrow(/r\.bin.*not a PNG or JPEG/);
    expect(() => decodeImage(new Uint8Array(0), 'e.png')).toThrow(/e\.png.*empty/);
  });
});
