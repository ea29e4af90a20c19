/**
 * `predict --explain`: the face next to its window cross-attention maps — for each scale, how much
 * attention the landmark queries pay to every image position (mean over heads and queries),
 * normalised per map and overlaid as a heat map.
 */
import type { HostImage } from '../data/image.js';
import { resizeImage, toRgb } from '../data/image.js';
import { Raster, type RgbaImage } from '../train/plot/raster.js';
import { heatColor } from '../train/plot/colors.js';
import { drawText } from '../train/plot/font.js';

const SIDE = 160;
const PAD = 12;

/** maps[s]: [windows, w·w] attention received per key token; windows tile an m×m map row-major. */
export function explainImage(image: HostImage, maps: { shape: number[]; data: Float32Array }[], windows: readonly number[], caption: string[]): RgbaImage {
  const face = resizeImage(toRgb(image), SIDE, SIDE);
  const panels = 1 + maps.length;
  const r = new Raster(PAD + panels * (SIDE + PAD), SIDE + 3 * PAD + 32);
  const drawFace = (x0: number): void => {
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        const i = (y * SIDE + x) * 3;
        r.fillRect(x0 + x, PAD + y, 1, 1, [face.data[i]!, face.data[i + 1]!, face.data[i + 2]!]);
      }
  };
  drawFace(PAD);
  drawText(r, caption.join("   "), PAD, SIDE + 2 * PAD + 14, [34, 34, 34]);
  maps.forEach((m, s) => {
    const w = windows[s]!;
    const nWin = m.shape[0]!;
    const perSide = Math.round(Math.sqrt(nWin));
    const side = perSide * w;
    const grid = new Float32Array(side * side);
    for (let wi = 0; wi < nWin; wi++)
      for (let t = 0; t < w * w; t++) {
        const y = Math.floor(wi / perSide) * w + Math.floor(t / w);
        const x = (wi % perSide) * w + (t % w);
        grid[y * side + x] = m.data[wi * w * w + t]!;
      }
    let lo = Infinity, hi = -Infinity;
    for (const v of grid) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const x0 = PAD + (s + 1) * (SIDE + PAD);
    drawFace(x0);
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        const v = grid[Math.min(side - 1, Math.floor((y * side) / SIDE)) * side + Math.min(side - 1, Math.floor((x * side) / SIDE))]!;
        const t = hi > lo ? (v - lo) / (hi - lo) : 0;
        r.blend(x0 + x, PAD + y, heatColor(t), 0.55);
      }
    drawText(r, `attention, scale ${s + 1} (${side}x${side})`, x0, SIDE + 2 * PAD, [34, 34, 34]);
  });
  return r.toImage();
}
