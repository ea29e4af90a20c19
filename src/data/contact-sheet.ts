// A contact sheet: rows of samples per class, for eyeballing a dataset (`arbex data inspect`).
import type { HostImage } from './image.js';
import { resizeImage, toRgb } from './image.js';

export interface SheetRow {
  images: HostImage[];
  /** Per image, 68 × (x, y) in that image's pixels (drawn when present). */
  landmarks?: (Float32Array | undefined)[];
}

/** Tiles rows of images into one RGB image of cell×cell tiles separated by a 2-pixel gutter. */
export function contactSheet(rows: SheetRow[], cell: number): HostImage {
  const gap = 2;
  const cols = Math.max(1, ...rows.map((r) => r.images.length));
  const W = cols * (cell + gap) + gap;
  const H = Math.max(1, rows.length) * (cell + gap) + gap;
  const out = new Uint8Array(W * H * 3).fill(40);
  rows.forEach((row, ry) => {
    row.images.forEach((img, cx) => {
      const tile = toRgb(resizeImage(img, cell, cell));
      const ox = gap + cx * (cell + gap);
      const oy = gap + ry * (cell + gap);
      for (let y = 0; y < cell; y++) {
        out.set(tile.data.subarray(y * cell * 3, (y + 1) * cell * 3), ((oy + y) * W + ox) * 3);
      }
      const lm = row.landmarks?.[cx];
      if (lm) {
        const sx = cell / img.width;
        const sy = cell / img.height;
        for (let i = 0; i < lm.length / 2; i++) {
          const px = Math.floor((lm[2 * i] as number) * sx);
          const py = Math.floor((lm[2 * i + 1] as number) * sy);
          // Colour by side so a swapped left/right set is easy to spot: image-left eye/brow
          // green, image-right eye/brow blue, the rest yellow.
          const left = (i >= 36 && i < 42) || (i >= 17 && i < 22);
          const right = (i >= 42 && i < 48) || (i >= 22 && i < 27);
          const col = left ? [0, 255, 0] : right ? [0, 128, 255] : [255, 255, 0];
          const dot = cell >= 96 ? 2 : 1;
          for (let dy = 0; dy < dot; dy++) {
            for (let dx = 0; dx < dot; dx++) {
              const qx = px + dx;
              const qy = py + dy;
              if (qx < 0 || qy < 0 || qx >= cell || qy >= cell) continue;
              const o = ((oy + qy) * W + ox + qx) * 3;
              out[o] = col[0] as number;
              out[o + 1] = col[1] as number;
              out[o + 2] = col[2] as number;
            }
          }
        }
      }
    });
  });
  return { width: W, height: H, channels: 3, data: out };
}
