// AffectNet (manually annotated part): training.csv / validation.csv with columns
// subDirectory_filePath, face_x, face_y, face_width, face_height, facial_landmarks ("x;y;…", 68
// points), expression (0..10: neutral, happy, sad, surprise, fear, disgust, anger, contempt, none,
// uncertain, non-face), valence, arousal; images under Manually_Annotated_Images/. Loading crops
// the face box; classes 8-10 (and contempt with 7 classes) are dropped.
import { DataError, guard } from '../errors.js';
import { AFFECTNET_TO_CANONICAL, invertTable } from '../labels.js';
import type { HostImage } from '../image.js';
import { cropImage, toRgb } from '../image.js';
import { Rng } from '../rng.js';
import type { Sample } from '../source.js';
import type { Split } from '../synth/split.js';
import type { FileSink, FileTree } from './files.js';
import { readText } from './files.js';
import { formatCsv, intCell, numCell, parseCsv, requireColumns } from './csv.js';
import type { ImageEncoders, LoadOptions, LoadedDataset, WritableSample } from './types.js';
import { SplitCollector, loadImage } from './types.js';

export const AFFECTNET_COLUMNS = ['subDirectory_filePath', 'face_x', 'face_y', 'face_width', 'face_height', 'facial_landmarks', 'expression', 'valence', 'arousal'] as const;
export const AFFECTNET_FILES: Partial<Record<Split, string>> = { train: 'training.csv', val: 'validation.csv' };
export const AFFECTNET_IMAGES = 'Manually_Annotated_Images';

export function loadAffectnet(tree: FileTree, opt: LoadOptions): LoadedDataset {
  const numClasses = opt.numClasses ?? 7;
  const out = new SplitCollector('affectnet', numClasses);
  let any = false;
  for (const split of ['train', 'val'] as const) {
    const file = AFFECTNET_FILES[split] as string;
    if (!tree.has(file)) continue;
    any = true;
    const csv = parseCsv(readText(tree, file), file);
    const [pathC, xC, yC, wC, hC, lmC, exprC] = requireColumns(csv, file, AFFECTNET_COLUMNS) as number[] as [number, number, number, number, number, number, number];
    for (const row of csv.rows) {
      guard(out.summary, !!opt.skipBad, () => {
        const expr = intCell(row, exprC, file, 'expression');
        if (expr < 0 || expr > 10) throw new DataError(file, row.line, `unknown expression ${expr} (expected 0..10)`);
        const label = AFFECTNET_TO_CANONICAL[expr] as number;
        if (label < 0 || label >= numClasses) {
          out.summary.dropped++;
          return;
        }
        const fx = Math.round(numCell(row, xC, file, 'face_x'));
        const fy = Math.round(numCell(row, yC, file, 'face_y'));
        const fw = Math.round(numCell(row, wC, file, 'face_width'));
        const fh = Math.round(numCell(row, hC, file, 'face_height'));
        if (fw <= 0 || fh <= 0) throw new DataError(file, row.line, `face box ${fw}×${fh} is empty`);
        const rel = (row.cells[pathC] ?? '').trim();
        const path = tree.has(`${AFFECTNET_IMAGES}/${rel}`) ? `${AFFECTNET_IMAGES}/${rel}` : tree.has(rel) ? rel : `${AFFECTNET_IMAGES}/${rel}`;
        const full = loadImage(tree, path, opt.decode, { file, line: row.line });
        // The box must overlap the image and be of its order of size: a damaged number would
        // otherwise ask cropImage for terabytes (or give an all-black crop).
        if (fx >= full.width || fy >= full.height || fx + fw <= 0 || fy + fh <= 0 || fw > 4 * full.width || fh > 4 * full.height) {
          throw new DataError(file, row.line, `face box x=${fx} y=${fy} w=${fw} h=${fh} does not fit the ${full.width}×${full.height} image ${path}`);
        }
        const image: HostImage = cropImage(full, fx, fy, fw, fh);
        const sample: Sample = { image, label, cleanLabel: label };
        const lmText = (row.cells[lmC] ?? '').trim();
        if (lmText !== '') {
          const vals = lmText.split(';').map(Number);
          if (vals.length !== 136 || vals.some((v) => !Number.isFinite(v))) {
            throw new DataError(file, row.line, `column facial_landmarks: expected 136 numbers separated by ';', got ${vals.length}`);
          }
          const lm = new Float32Array(136);
          for (let i = 0; i < 68; i++) {
            lm[2 * i] = (vals[2 * i] as number) - fx;
            lm[2 * i + 1] = (vals[2 * i + 1] as number) - fy;
          }
          sample.landmarks = lm;
        }
        out.add(split, sample);
      });
    }
  }
  if (!any) throw new DataError('training.csv', undefined, 'missing AffectNet training.csv / validation.csv');
  return out.result();
}

const CANONICAL_TO_AFFECTNET = invertTable(AFFECTNET_TO_CANONICAL);
/** Rough circumplex positions (valence, arousal) of each canonical class, for plausible CSVs. */
const VA: readonly (readonly [number, number])[] = [[0, 0], [0.75, 0.35], [-0.65, -0.3], [0.2, 0.75], [-0.6, 0.7], [-0.65, 0.4], [-0.55, 0.65], [-0.4, 0.2]];

/**
 * AffectNet images are whole photos with a face box: the writer pads each face with a random
 * margin (edge pixels smeared outwards) and records the box and the shifted landmarks. Training
 * samples go to training.csv, validation and test samples to validation.csv.
 */
export function writeAffectnet(samples: readonly WritableSample[], sink: FileSink, enc: ImageEncoders, seed = 1, quality = 95): number {
  const rows: Record<'train' | 'val', (string | number)[][]> = { train: [], val: [] };
  samples.forEach(({ split, sample }, i) => {
    const rng = new Rng(seed, 0xaff, i);
    const img = toRgb(sample.image);
    const mx = Math.round(img.width * rng.range(0.1, 0.3));
    const my = Math.round(img.height * rng.range(0.1, 0.3));
    const canvas = padImage(img, mx, my, Math.round(img.width * rng.range(0.1, 0.3)), Math.round(img.height * rng.range(0.1, 0.3)), rng);
    const rel = `${1 + (i % 7)}/${String(i).padStart(6, '0')}.jpg`;
    sink.write(`${AFFECTNET_IMAGES}/${rel}`, enc.encodeJpeg(canvas, quality));
    const lm = sample.landmarks;
    const lmText = lm ? Array.from({ length: 136 }, (_, k) => ((lm[k] as number) + (k % 2 === 0 ? mx : my)).toFixed(2)).join(';') : '';
    const [v, a] = VA[sample.label] ?? [0, 0];
    const part = split === 'train' ? 'train' : 'val';
    rows[part].push([rel, mx, my, img.width, img.height, lmText, CANONICAL_TO_AFFECTNET[sample.label] as number, (v + rng.gauss(0, 0.1)).toFixed(3), (a + rng.gauss(0, 0.1)).toFixed(3)]);
  });
  for (const part of ['train', 'val'] as const) {
    if (rows[part].length > 0) sink.write(AFFECTNET_FILES[part] as string, formatCsv(AFFECTNET_COLUMNS, rows[part]));
  }
  return samples.length;
}

function padImage(img: HostImage, left: number, top: number, right: number, bottom: number, rng: Rng): HostImage {
  const W = img.width + left + right;
  const H = img.height + top + bottom;
  const out = new Uint8Array(W * H * 3);
  const shade = rng.range(0.6, 1);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, y - top));
    for (let x = 0; x < W; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x - left));
      const inside = y >= top && y < top + img.height && x >= left && x < left + img.width;
      const k = inside ? 1 : shade;
      const s = (sy * img.width + sx) * 3;
      const d = (y * W + x) * 3;
      out[d] = (img.data[s] as number) * k;
      out[d + 1] = (img.data[s + 1] as number) * k;
      out[d + 2] = (img.data[s + 2] as number) * k;
    }
  }
  return { width: W, height: H, channels: 3, data: out };
}
