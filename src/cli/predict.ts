/** `arbex predict`: top-3 classes with probabilities and the confidence for each image. */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs, helpText, type FlagSpec } from './args.js';
import { modelFromCheckpoint } from './model-io.js';
import { decodeImage } from '../io/image/codec-node.js';
import { ArraySource } from '../data/source.js';
import { createLoader } from '../data/loader.js';
import { CANONICAL_CLASSES } from '../data/labels.js';
import { tensor } from '../tensor/create.js';
import { tidy, keep } from '../tensor/scope.js';
import { noGrad } from '../autograd/graph.js';
import { mean } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';
import { explainImage } from './explain.js';
import { writePng } from '../train/png-node.js';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run directory (uses best) or a checkpoint .json' },
  explain: { type: 'boolean', help: 'write <image>.explain.png with the cross-attention maps over the face, under --out' },
  out: { type: 'string', help: 'where --explain writes (default: <checkpoint dir>/explain; never next to the input images)' },
  'out-dir': { type: 'string', help: 'same as --out (older spelling)' },
  'test-time-correction': { type: 'boolean', help: 'apply the anchor correction at inference' },
  json: { type: 'boolean', help: 'one JSON object per image' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function runPredictCommand(argv: string[]): Promise<number> {
  const { flags: f, positional: files } = parseArgs(argv, SPEC, 'arbex predict');
  if (f.help) {
    console.log(helpText('Usage: arbex predict --checkpoint DIR IMAGE...', SPEC));
    return 0;
  }
  if (!f.checkpoint) throw new Error('arbex predict: --checkpoint is required');
  if (files.length === 0) throw new Error('arbex predict: give at least one PNG or JPEG image');
  const images = files.map((path) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new Error(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return decodeImage(bytes, path);
  });
  const { model, job, dir: ckptDir } = await modelFromCheckpoint(f.checkpoint as string, f['test-time-correction'] ? { testTimeCorrection: true } : {});
  const C = job.config.numClasses;
  const names = CANONICAL_CLASSES.slice(0, C);
  const source = new ArraySource('predict', images.map((image) => ({ image, label: 0, cleanLabel: 0 })), C);
  const loader = createLoader({ source, batchSize: 1, sampler: 'sequential', augment: 'eval', size: job.config.inputSize, seed: 0 });
  // Explanations go to an output folder (the user's or the run's), never into the dataset the
  // images came from; two inputs with the same base name get distinct outputs.
  const outDir = resolve((f.out as string | undefined) ?? (f['out-dir'] as string | undefined) ?? join(ckptDir, 'explain'));
  if (f.explain) mkdirSync(outDir, { recursive: true });
  const used = new Set<string>();
  const explainPath = (file: string): string => {
    const stem = basename(file).replace(/\.[^.]+$/, '');
    let name = `${stem}.explain.png`;
    for (let k = 2; used.has(name); k++) name = `${stem}-${k}.explain.png`;
    used.add(name);
    return join(outDir, name);
  };
  let i = 0;
  for (const batch of loader.epoch(0)) {
    const file = files[i]!;
    const maps: Tensor[] = [];
    if (f.explain) model.features.windows.forEach((w) => (w.capture = (p) => maps.push(keep(mean(p, [1, 2])))));
    const r = noGrad(() => tidy(() => model.predict(tensor(batch.images, [1, 3, batch.height, batch.width]))));
    model.features.windows.forEach((w) => (w.capture = null));
    const probs = Array.from(await r.probs.toArray());
    const conf = await r.confidence.item();
    const top = probs.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0]).slice(0, 3);
    if (f.json) console.log(JSON.stringify({ file, top: top.map(([p, c]) => ({ class: names[c], probability: p })), confidence: conf }));
    else console.log(`${file}: ${top.map(([p, c]) => `${names[c]} ${(p * 100).toFixed(1)} %`).join(', ')}  (confidence ${conf.toFixed(3)})`);
    if (f.explain) {
      const mapData = await Promise.all(maps.map(async (m) => ({ shape: [...m.shape], data: new Float32Array(await m.toArray()) })));
      const png = explainImage(images[i]!, mapData, job.config.attention.windows, top.map(([p, c]) => `${names[c]} ${(p * 100).toFixed(0)}%`));
      const outPath = explainPath(file);
      writePng(outPath, png);
      console.log(`  attention maps: ${outPath}`);
    }
    for (const t of [r.probs, r.confidence, r.e, ...maps]) t.dispose();
    i++;
  }
  return 0;
}
