/**
 * f32 matmul: square sizes, the attention-score shape of a small ViT ([8,196,64]·[8,64,196]) and
 * an ARBEx-like Linear layer (148 tokens × 768 → 3072). Ours = E.matmul, tfjs = tf.matMul,
 * ort = a one-node ONNX MatMul on the WebGPU EP with inputs and outputs resident on the GPU.
 */
import * as E from '../../src/index.js';
import { runtime } from '../../src/runtime/runtime.js';
import type { BenchCase } from '../case.js';
import { benchData, ortGpu, tfjsSync } from '../peers.js';
import { matmulModel } from '../onnx.js';

interface MatmulShape {
  label: string;
  batch: number[];
  m: number;
  k: number;
  n: number;
  /** B given as [N, K] (the Linear backward dX = dY·Wᵀ layout); no ort variant (MatMul has no transpose). */
  transB?: boolean;
  quick?: boolean;
}

const SHAPES: MatmulShape[] = [
  { label: '512x512x512', batch: [], m: 512, k: 512, n: 512 },
  { label: '1024x1024x1024', batch: [], m: 1024, k: 1024, n: 1024 },
  { label: '[8,196,64]x[8,64,196]', batch: [8], m: 196, k: 64, n: 196 },
  { label: 'linear 148x768x3072', batch: [], m: 148, k: 768, n: 3072 },
  { label: 'linear dX 148x3072x768 (Bᵀ)', batch: [], m: 148, k: 3072, n: 768, transB: true, quick: false },
];

function matmulCase(s: MatmulShape): BenchCase {
  const aShape = [...s.batch, s.m, s.k];
  const bShape = s.transB ? [...s.batch, s.n, s.k] : [...s.batch, s.k, s.n];
  const transB = s.transB ?? false;
  const cShape = [...s.batch, s.m, s.n];
  const count = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
  const batch = count(s.batch);
  const aData = benchData(count(aShape), 1);
  const bData = benchData(count(bShape), 2);
  return {
    kernel: 'matmul',
    shape: s.label,
    flops: 2 * batch * s.m * s.n * s.k,
    bytes: 4 * (count(aShape) + count(bShape) + count(cShape)),
    quick: s.quick,
    torch: { kind: 'matmul', a: aShape, b: bShape, transB },
    async ours() {
      const a = E.tensor(aData, aShape);
      const b = E.tensor(bData, bShape);
      return {
        run: () => E.matmul(a, b, { transB }).dispose(),
        sync: () => runtime().sync(),
        dispose: () => {
          a.dispose();
          b.dispose();
        },
      };
    },
    async tfjs(tf) {
      const a = tf.tensor(aData, aShape);
      const b = tf.tensor(bData, bShape);
      return {
        run: () => tf.matMul(a, b, false, transB).dispose(),
        sync: () => tfjsSync(tf),
        dispose: () => tf.dispose([a, b]),
      };
    },
    ort: transB ? undefined : async (ort) => {
      const g = ortGpu(ort);
      const session = await g.session(matmulModel(aShape, bShape, cShape));
      const a = await g.upload(aData, aShape);
      const b = await g.upload(bData, bShape);
      return {
        run: async () => {
          const out = await session.run({ A: a, B: b });
          out['C']!.dispose();
        },
        sync: () => g.sync(),
        dispose: () => {
          a.dispose();
          b.dispose();
          void session.release();
        },
      };
    },
  };
}

export const cases: BenchCase[] = SHAPES.map(matmulCase);
