// Images/s of the data pipeline at 112×112 on one core: synthetic generation, augmentation
// presets and the full loader (generate + heavy augmentation + batching).
//   npx tsx kernels-bench/data-bench.ts [--json] [--seconds S]
import { augmentImage } from '../src/data/augment/augment.js';
import { augmentPreset } from '../src/data/augment/config.js';
import type { PresetName } from '../src/data/augment/config.js';
import { createLoader } from '../src/data/loader.js';
import { Rng } from '../src/data/rng.js';
import { SynthSource, generateSample, synthConfig } from '../src/data/synth/generator.js';
import type { HostImage } from '../src/data/image.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const si = args.indexOf('--seconds');
const seconds = si >= 0 ? Number(args[si + 1]) : 2;
const SIZE = 112;

interface Result {
  bench: string;
  size: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Runs `step` (which processes `per` images) until `seconds` have passed, after a short warm-up. */
function measure(bench: string, per: number, step: (i: number) => void): Result {
  for (let i = 0; i < 20; i++) step(i);
  let n = 0;
  let i = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    step(1000 + i++);
    n += per;
  }
  const dt = (performance.now() - t0) / 1000;
  return { bench, size: SIZE, images: n, seconds: dt, imagesPerSecond: n / dt };
}

const results: Result[] = [];
const cfg = synthConfig({ size: SIZE, seed: 1 });
results.push(measure('generate (synthetic face, 112 RGB)', 1, (i) => generateSample(cfg, 'train', i)));

const pool: { image: HostImage; landmarks: Float32Array }[] = [];
for (let i = 0; i < 64; i++) pool.push(generateSample(cfg, 'train', i));
const out = new Float32Array(SIZE * SIZE * 3);
for (const preset of ['eval', 'standard', 'heavy'] as PresetName[]) {
  const aug = augmentPreset(preset);
  results.push(
    measure(`augment ${preset} (with landmarks)`, 1, (i) => {
      const s = pool[i % pool.length]!;
      augmentImage(s.image, s.landmarks, aug, SIZE, new Rng(7, i), out);
    }),
  );
}

const source = new SynthSource(cfg, 'train', 1 << 20);
const loader = createLoader({ source, batchSize: 64, sampler: 'shuffle', augment: 'heavy', size: SIZE, seed: 1 });
let it = loader.epoch(0)[Symbol.iterator]();
results.push(
  measure('loader: generate + heavy + batch (B=64)', 64, () => {
    let r = it.next();
    if (r.done) {
      it = loader.epoch(1)[Symbol.iterator]();
      r = it.next();
    }
  }),
);

if (json) {
  for (const r of results) console.log(JSON.stringify(r));
} else {
  console.log(`data pipeline, ${SIZE}×${SIZE}, one core, ${seconds} s per row`);
  console.log('bench'.padEnd(44) + 'images/s'.padStart(10) + 'ms/image'.padStart(10));
  for (const r of results) {
    console.log(r.bench.padEnd(44) + r.imagesPerSecond.toFixed(0).padStart(10) + (1000 / r.imagesPerSecond).toFixed(2).padStart(10));
  }
}
