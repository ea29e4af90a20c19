/**
 * Released weights in and out. Oracles, all written by PyTorch (scripts/pth/make-released-fixtures.py,
 * module trees re-declared from the released ARBEx / POSTER++ code):
 *  - released-keys-full.json: every key, shape and dtype of the released full-size state dicts;
 *  - arbex.pth + arbex-io.json: a small released-architecture ARBEx with random weights and what
 *    the released forward computes for three images (embedding, logits, p, anchor and attention
 *    corrections, corrected distribution at trust 0.5);
 *  - ir50.pth / mobilefacenet.pth.tar + backbones-io.json: the two pretrained backbones' outputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from '../../src/index.js';
import { ArbexModel } from '../../src/models/arbex/model.js';
import { configByName, resolveConfig, type ArbexConfig } from '../../src/models/arbex/config.js';
import { decodePthStateDict } from '../../src/io/pth.js';
import { exportReleased, importReleased, mergeReleasedParts, releasedNameMap, NameMapError } from '../../src/models/arbex/names/map.js';
import type { HostTensor } from '../../src/nn/host-tensor.js';
import { parseClassOrder, permuteClasses } from '../../src/models/arbex/names/classes.js';
import { engine } from '../helpers/engine.js';

beforeAll(engine);

const dir = join(__dirname, 'fixtures/released');
const json = <T>(n: string): T => JSON.parse(readFileSync(join(dir, n), 'utf8')) as T;
const pth = (n: string): Map<string, HostTensor> => decodePthStateDict(new Uint8Array(readFileSync(join(dir, n))), n).tensors;
interface Dump { shape: number[]; values: number[] }
const fixtureConfig = (): ArbexConfig => {
  const { base, ...over } = json<Record<string, unknown>>('fixture-config.json');
  return resolveConfig(configByName(base as string), over);
};
const shapesOf = (m: ArbexModel): Map<string, HostTensor> => new Map([...m.stateDict()].map(([k, t]) => [k, { shape: t.shape, data: new Float32Array(0) }]));

function close(got: ArrayLike<number>, want: Dump, what: string, tol = 2e-4): void {
  expect(got.length, what).toBe(want.values.length);
  let worst = 0;
  const scale = Math.max(1, ...want.values.map(Math.abs));
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want.values[i]!));
  expect(worst / scale, `${what}: max |diff| ${worst} (scale ${scale})`).toBeLessThan(tol);
}

describe('released names (full size)', () => {
  const keys = json<Record<'arbex' | 'poster', [string, number[], string][]>>('released-keys-full.json');

  it('ARBEx: export produces exactly the released keys, shapes and dtypes (released head and project head)', () => {
    for (const variant of ['released', 'project'] as const) {
      const cfg = resolveConfig(configByName('full'), { headVariant: variant });
      const m = new ArbexModel(cfg);
      const { tensors, report } = exportReleased('arbex', shapesOf(m), cfg);
      m.dispose?.();
      const want = new Map(keys.arbex.map(([k, s, d]) => [k, [s, d]] as const));
      expect([...tensors.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, t] of tensors) {
        expect([...t.shape], k).toEqual(want.get(k)![0]);
        expect(t.dtype, k).toBe(want.get(k)![1] === 'int64' ? 'int64' : 'float32');
      }
      expect(report.dropped).toEqual([]);
      expect(report.mapped).toBe(variant === 'released' ? 744 + 7 : 744); // + Q/K/V biases, in/out projections
    }
  });

  it('POSTER++: a linear-head full model exports to exactly pyramid_trans_expr2(224, 7)', () => {
    const cfg = resolveConfig(configByName('full'), { head: { mlpHidden: [] } });
    const m = new ArbexModel(cfg);
    const { tensors, report } = exportReleased('poster', shapesOf(m), cfg);
    const want = new Map(keys.poster.map(([k, s]) => [k, s] as const));
    expect([...tensors.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, t] of tensors) expect([...t.shape], k).toEqual(want.get(k));
    // anchors and attention weights have no POSTER++ counterpart
    expect(report.dropped.map(([k]) => k).sort()).toEqual(['head.anchors', 'head.attn_k.weight', 'head.attn_q.weight', 'head.attn_v.weight']);
  });

  it('every project key of the full model has a released ARBEx name and none collide', () => {
    const m = new ArbexModel(configByName('full'));
    const map = releasedNameMap('arbex', m.stateDict().keys(), m.cfg);
    expect(map.size).toBe(744);
    expect(new Set(map.values()).size).toBe(744);
    expect(map.get('features.face_landback.stage1.0.conv.bn.weight')).toBe('vit.landmark.path_1.2.net.0.net.1.weight');
    expect(map.get('features.ir_back.stage2.0.conv2.weight')).toBe('vit.ir.net_2.net.0.res.3.weight');
    expect(map.get('features.attn1.kv.weight')).toBe('vit.attns.0.qkv.weight');
    expect(map.get('features.attn1.fc1.weight')).toBe('vit.ffns.0.mlp.0.weight');
    expect(map.get('head.mlp1.fc.weight')).toBe('classifier.net.4.weight');
    expect(map.get('head.classifier.weight')).toBe('classifier.net.12.weight');
  });
});

describe('a released ARBEx checkpoint', () => {
  it('loads strictly with the released head and predicts what the released code predicts', async () => {
    const cfg = fixtureConfig();
    const model = new ArbexModel(cfg);
    const file = mergeReleasedParts('arbex', [{ source: 'arbex.pth', tensors: pth('arbex.pth') }]).tensors;
    const { tensors, report } = importReleased('arbex', file, model.stateDict(), cfg);
    expect(report.unplaced).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.initialised).toEqual([]);
    expect(report.checked).toHaveLength(3);
    model.loadStateDict(tensors); // strict
    model.eval();
    const io = json<Record<string, Dump> & { trust: number }>('arbex-io.json');
    const x = E.tensor(Float32Array.from(io.x.values), io.x.shape);
    const out = E.noGrad(() => model.forward(x));
    close(await out.e.toArray(), io.e!, 'embedding');
    close(await out.logits.toArray(), io.logits!, 'logits');
    close(await out.p.toArray(), io.p!, 'p');
    const rb = E.noGrad(() => model.balance(out, new Int32Array(3), io.trust));
    close(await rb.t.toArray(), io.t!, 'anchor correction t');
    close(await rb.v.toArray(), io.v!, 'attention correction v (batch)');
    close(await rb.corrected.toArray(), io.corrected!, 'corrected distribution');
  }, 120_000);

  it('exports back to the same tensors PyTorch wrote (names, shapes, dtypes, values)', () => {
    const cfg = fixtureConfig();
    const model = new ArbexModel(cfg);
    const original = pth('arbex.pth');
    const { tensors } = importReleased('arbex', original, model.stateDict(), cfg);
    const back = exportReleased('arbex', tensors, cfg).tensors;
    expect([...back.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [k, t] of original) {
      expect([...back.get(k)!.shape], k).toEqual([...t.shape]);
      expect([...back.get(k)!.data], k).toEqual([...t.data]);
    }
  });

  it('reads the per-module files the released train.py writes (self_attn is not saved: initialised)', () => {
    const cfg = fixtureConfig();
    const model = new ArbexModel(cfg);
    const parts = ['vit', 'classifier', 'anchors'].map((p) => ({ source: `arbex-${p}.pth`, tensors: pth(`arbex-${p}.pth`) }));
    const { tensors, notes } = mergeReleasedParts('arbex', parts);
    expect(notes.join('\n')).toMatch(/arbex-classifier\.pth: read as the released 'classifier' module/);
    const { report } = importReleased('arbex', tensors, model.stateDict(), cfg);
    expect(report.missing).toEqual([]);
    expect(report.initialised.map(([k]) => k).sort()).toEqual(['head.attn_fn.in_proj_bias', 'head.attn_fn.in_proj_weight', 'head.attn_fn.out_proj.bias', 'head.attn_fn.out_proj.weight', 'head.attn_k.weight', 'head.attn_k_bias', 'head.attn_q.weight', 'head.attn_q_bias', 'head.attn_v.weight', 'head.attn_v_bias']);
  });

  it('strict import names what is missing, extra or the wrong shape', () => {
    const cfg = fixtureConfig();
    const own = new ArbexModel(cfg).stateDict();
    const file = pth('arbex.pth');
    const missing = new Map(file);
    missing.delete('vit.ir.net_2.net.0.res.3.weight');
    expect(() => importReleased('arbex', missing, own, cfg, { source: 'm.pth' })).toThrow(/m\.pth \(arbex, strict\).*missing[\s\S]*features\.ir_back\.stage2\.0\.conv2\.weight/);
    const extra = new Map(file);
    extra.set('vit.something_new.weight', { shape: [2], data: new Float32Array(2) });
    expect(() => importReleased('arbex', extra, own, cfg, { source: 'x.pth' })).toThrow(/no place in the model:\s+vit\.something_new\.weight \[2\]/);
    const r = importReleased('arbex', extra, own, cfg, { strict: false });
    expect(r.report.unplaced).toEqual(['vit.something_new.weight [2]']);
    const bad = new Map(file);
    bad.set('classifier.net.0.weight', { shape: [3, 3], data: new Float32Array(9) });
    expect(() => importReleased('arbex', bad, own, cfg, { strict: false })).toThrow(NameMapError);
    // a full-size file into the small configuration: shapes named
    expect(() => importReleased('arbex', bad, own, cfg)).toThrow(/classifier\.net\.0\.weight \[3, 3\] → head\.mlp0\.fc\.weight \[16, 32\]/);
  });
});

describe('class order', () => {
  it('--classes relabels the head: p, t and v come out permuted, nothing else changes', async () => {
    const cfg = fixtureConfig();
    const io = json<Record<string, Dump> & { trust: number }>('arbex-io.json');
    const order = 'surprise,fear,disgust,happy,sad,anger,neutral'; // RAF-DB's order
    const src = parseClassOrder(order, 7);
    expect(src).toEqual([6, 3, 4, 0, 1, 2, 5]);
    const model = new ArbexModel(cfg);
    const { tensors } = importReleased('arbex', pth('arbex.pth'), model.stateDict(), cfg);
    model.loadStateDict(permuteClasses(tensors, src, cfg));
    model.eval();
    const out = E.noGrad(() => model.forward(E.tensor(Float32Array.from(io.x.values), io.x.shape)));
    const rb = E.noGrad(() => model.balance(out, new Int32Array(3), io.trust));
    const perm = (d: Dump): Dump => ({ shape: d.shape, values: d.values.map((_, i) => d.values[Math.floor(i / 7) * 7 + src[i % 7]!]!) });
    close(await out.p.toArray(), perm(io.p!), 'p (relabelled)');
    close(await rb.t.toArray(), perm(io.t!), 't (relabelled)');
    close(await rb.v.toArray(), perm(io.v!), 'v (relabelled)');
    close(await rb.corrected.toArray(), perm(io.corrected!), 'corrected (relabelled)');
    expect(() => parseClassOrder('happy,happy,sad,fear,anger,disgust,neutral', 7)).toThrow(/twice/);
    expect(() => parseClassOrder('happy,sad', 7)).toThrow(/2 names for a 7-class/);
  }, 120_000);
});

describe('the pretrained backbones POSTER++ loads', () => {
  it('IR-50 (ir50.pth) and MobileFaceNet (mobilefacenet.pth.tar, legacy format) reproduce their PyTorch outputs', async () => {
    const cfg = fixtureConfig();
    const model = new ArbexModel(cfg);
    const io = json<{ x: Dump; ir: Dump[]; landmark: Dump[] }>('backbones-io.json');
    for (const [format, file] of [['ir50', 'ir50.pth'], ['mobilefacenet', 'mobilefacenet.pth.tar']] as const) {
      const { tensors, report } = importReleased(format, pth(file), model.stateDict(), cfg, { source: file });
      expect(report.unplaced, file).toEqual([]);
      expect(report.skipped.every(([k]) => k.startsWith('output_layer.')), file).toBe(true);
      expect(report.skipped.length, file).toBeGreaterThan(0);
      model.loadStateDict(tensors, { strict: false });
    }
    model.eval();
    const x = E.tensor(Float32Array.from(io.x.values), io.x.shape);
    const im = model.features.image;
    const ys = E.noGrad(() => {
      let y = im.inputPrelu.forward(im.inputBn.forward(im.inputConv.forward(x)));
      return im.stages.map((s) => (y = s.forward(y)));
    });
    for (let i = 0; i < 3; i++) close(await ys[i]!.toArray(), io.ir[i]!, `IR-50 stage ${i + 1}`);
    const lm = E.noGrad(() => model.features.landmark.backbone(x));
    for (let i = 0; i < 3; i++) close(await lm[i]!.toArray(), io.landmark[i]!, `MobileFaceNet tap ${i + 1}`);
  }, 120_000);
});
