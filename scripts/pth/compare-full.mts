/**
 * Full-size check against PyTorch: runs a checkpoint (e.g. scripts/pth/init-checkpoint.ts with
 * {"base": "full", "headVariant": "released", "resize": "nearest"}) on two random 224×224 images
 * and writes inputs and outputs to a .pth that scripts/pth/compare-full.py compares with the
 * released forward of `arbex export --to arbex` of the same checkpoint.
 *   npx tsx scripts/pth/compare-full.mts CHECKPOINT.json OUT.pth
 */
import { modelFromCheckpoint } from '../../src/cli/model-io.js';
import { tensor } from '../../src/tensor/create.js';
import { noGrad } from '../../src/autograd/graph.js';
import { savePthFile } from '../../src/io/pth-node.js';

const [ck, out] = process.argv.slice(2);
if (!ck || !out) throw new Error('usage: compare-full.mts CHECKPOINT.json OUT.pth');
const { model } = await modelFromCheckpoint(ck);
let s = 12345;
const x = Float32Array.from({ length: 2 * 3 * 224 * 224 }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1);
const xt = tensor(x, [2, 3, 224, 224]);
const o = noGrad(() => model.forward(xt));
const rb = noGrad(() => model.balance(o, new Int32Array(2), 0.5));
const f32 = async (t: { shape: readonly number[]; toArray(): Promise<ArrayLike<number>> }) => ({ shape: t.shape, data: Float32Array.from(await t.toArray()), dtype: 'float32' as const });
await savePthFile(out, new Map([
  ['x', { shape: [2, 3, 224, 224], data: x, dtype: 'float32' as const }],
  ['e', await f32(o.e)], ['logits', await f32(o.logits)], ['p', await f32(o.p)], ['t', await f32(rb.t)], ['v', await f32(rb.v)], ['corrected', await f32(rb.corrected)],
]));
console.log(`wrote ${out}`);
