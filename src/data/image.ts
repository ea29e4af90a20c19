// The host-side image the data layer passes around: 8-bit, interleaved (HWC), grey or RGB.

export interface HostImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** width * height * channels bytes, row-major, channels interleaved. */
  data: Uint8Array;
}

export function createImage(width: number, height: number, channels: 1 | 3): HostImage {
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}

/** ITU-R BT.601 luma, the weighting FER2013-style grey datasets were made with. */
export function toGray(img: HostImage): HostImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = Math.round(0.299 * (d[j] as number) + 0.587 * (d[j + 1] as number) + 0.114 * (d[j + 2] as number));
  }
  return { width: img.width, height: img.height, channels: 1, data: out };
}

export function toRgb(img: HostImage): HostImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const d = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const v = d[i] as number;
    out[j] = v;
    out[j + 1] = v;
    out[j + 2] = v;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/** Copy a rectangle (clamped to the image; outside pixels are filled with 0). */
export function cropImage(img: HostImage, x0: number, y0: number, w: number, h: number): HostImage {
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const sy = y0 + y;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < w; x++) {
      const sx = x0 + x;
      if (sx < 0 || sx >= img.width) continue;
      const si = (sy * img.width + sx) * c;
      const di = (y * w + x) * c;
      for (let k = 0; k < c; k++) out[di + k] = img.data[si + k] as number;
    }
  }
  return { width: w, height: h, channels: c, data: out };
}

/** Bilinear resize (area-agnostic; fine for the modest scale factors used here). */
export function resizeImage(img: HostImage, w: number, h: number): HostImage {
  if (w === img.width && h === img.height) return img;
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  const sxScale = img.width / w;
  const syScale = img.height / h;
  const src = img.data;
  const W = img.width;
  for (let y = 0; y < h; y++) {
    let fy = (y + 0.5) * syScale - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(Math.floor(fy), img.height - 1);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      let fx = (x + 0.5) * sxScale - 0.5;
      if (fx < 0) fx = 0;
      const x0 = Math.min(Math.floor(fx), W - 1);
      const x1 = Math.min(x0 + 1, W - 1);
      const wx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * W + x0) * c + k] as number;
        const b = src[(y0 * W + x1) * c + k] as number;
        const d0 = src[(y1 * W + x0) * c + k] as number;
        const e = src[(y1 * W + x1) * c + k] as number;
        const top = a + (b - a) * wx;
        const bot = d0 + (e - d0) * wx;
        out[(y * w + x) * c + k] = Math.round(top + (bot - top) * wy);
      }
    }
  }
  return { width: w, height: h, channels: c, data: out };
}
