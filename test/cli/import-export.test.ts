/**
 * `arbex import` / `arbex export` / `train --init` end to end on the PyTorch-written fixtures
 * (test/models/fixtures/released; small released-architecture models with random weights).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { decodePthStateDict } from '../../src/io/pth.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';

const fx = join(__dirname, '../models/fixtures/released');
const config = join(fx, 'fixture-config.json');
let dir = '';
const logs: string[] = [];
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'arbex-pth-'));
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
});

afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('arbex import / export', () => {
  it('imports a released ARBEx checkpoint and exports it back bit for bit', async () => {
    logs.length = 0;
    expect(await main(['import', '--from', 'arbex', join(fx, 'arbex.pth'), '--config', config, '--out', join(dir, 'rel')])).toBe(0);
    expect(logs.join('\n')).toMatch(/mapped 402, checked 3, skipped 0, unplaced 0, initialised 0, missing 0/);
    const report = readFileSync(join(dir, 'rel', 'import-report.txt'), 'utf8');
    expect(report).toMatch(/vit\.landmark\.path_1\.2\.net\.0\.net\.1\.weight → features\.face_landback\.stage1\.0\.conv\.bn\.weight/);
    const meta = JSON.parse(readFileSync(join(dir, 'rel', 'imported.json'), 'utf8')) as { state: { options: { config: { headVariant: string; resize: string } } } };
    expect(meta.state.options.config.headVariant).toBe('released');
    expect(meta.state.options.config.resize).toBe('nearest');

    expect(await main(['export', '--to', 'arbex', join(dir, 'rel', 'imported.json'), '--out', join(dir, 'back.pth')])).toBe(0);
    const original = decodePthStateDict(read(join(fx, 'arbex.pth'))).tensors;
    const back = decodePthStateDict(read(join(dir, 'back.pth'))).tensors;
    expect([...back.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [k, t] of original) {
      expect(back.get(k)!.torchDType, k).toBe(t.torchDType);
      expect([...back.get(k)!.data], k).toEqual([...t.data]);
    }
    expect(await main(['export', '--to', 'arbex', join(dir, 'rel', 'imported.json'), '--out', join(dir, 'back.safetensors')])).toBe(0);
    const st = decodeSafetensors(read(join(dir, 'back.safetensors'))).tensors;
    expect(st.size).toBe(original.size);

    // via POSTER++: the feature extractor survives export → import unchanged
    logs.length = 0;
    expect(await main(['export', '--to', 'poster', join(dir, 'rel', 'imported.json'), '--out', join(dir, 'poster.pth')])).toBe(0);
    expect(logs.join('\n')).toMatch(/filled VIT\.head\.linear\.weight: zeros: the project head is not a single Linear/);
    expect(await main(['import', '--from', 'poster', join(dir, 'poster.pth'), '--config', config, '--out', join(dir, 'pst')])).toBe(0);
    expect(logs.join('\n')).toMatch(/skipped ir_back\.output_layer\.3\.weight: IR-50's face-embedding head/);
    const a = decodeSafetensors(read(join(dir, 'rel', 'imported.safetensors'))).tensors;
    const b = decodeSafetensors(read(join(dir, 'pst', 'imported.safetensors'))).tensors;
    const feats = [...a.keys()].filter((k) => k.startsWith('features.'));
    expect(feats.length).toBeGreaterThan(300);
    for (const k of feats) expect([...b.get(k)!.data], k).toEqual([...a.get(k)!.data]);
  }, 180_000);

  it('imports the backbones (IR-50 .pth, MobileFaceNet legacy .pth.tar)', async () => {
    logs.length = 0;
    expect(await main(['import', '--from', 'ir50', join(fx, 'ir50.pth'), '--config', config, '--out', join(dir, 'ir')])).toBe(0);
    expect(logs.join('\n')).toMatch(/skipped output_layer\.3\.weight: IR-50's face-embedding head/);
    expect(await main(['import', '--from', 'mobilefacenet', join(fx, 'mobilefacenet.pth.tar'), '--onto', join(dir, 'ir', 'imported.json'), '--out', join(dir, 'lm')])).toBe(0);
    expect(logs.join('\n')).toMatch(/weights under 'state_dict'/);
    const lm = readFileSync(join(dir, 'lm', 'import-report.txt'), 'utf8');
    expect(lm).toMatch(/conv_23\.conv_dw\.bn\.running_var → features\.face_landback\.stage1\.0\.conv_dw\.bn\.running_var/);
    expect(lm).toMatch(/features\.face_landback\.last_face_conv\.weight: not part of the mobilefacenet backbone/);
    // --onto kept the IR-50 weights imported before
    const a = decodeSafetensors(read(join(dir, 'ir', 'imported.safetensors'))).tensors;
    const b = decodeSafetensors(read(join(dir, 'lm', 'imported.safetensors'))).tensors;
    expect([...b.get('features.ir_back.stage2.0.conv2.weight')!.data]).toEqual([...a.get('features.ir_back.stage2.0.conv2.weight')!.data]);
    expect([...b.get('features.face_landback.conv1.conv.weight')!.data]).not.toEqual([...a.get('features.face_landback.conv1.conv.weight')!.data]);
  }, 120_000);

  it('train --init starts from given weights (strict: weights of another model are refused)', async () => {
    logs.length = 0;
    const args = ['--epochs', '1', '--batch', '4', '--train-size', '8', '--val-size', '4', '--test-size', '4', '--quiet'];
    // the imported fixture checkpoint carries its own config
    expect(await main(['train', '--init', join(dir, 'ir', 'imported.json'), ...args, '--config', 'tiny', '--out', join(dir, 'bad-run')])).toBe(1);
    expect(logs.join('\n')).toMatch(/does not match the model/);
    expect(await main(['train', '--init', join(dir, 'ir', 'imported.json'), ...args, '--out', join(dir, 'run')])).toBe(0);
    expect(existsSync(join(dir, 'run', 'last.safetensors'))).toBe(true);
    const meta = JSON.parse(readFileSync(join(dir, 'run', 'last.json'), 'utf8')) as { state: { options: { init: string; config: { name: string } } } };
    expect(meta.state.options.init).toBe(join(dir, 'ir', 'imported.json'));
    expect(meta.state.options.config.name).toBe('released-fixture');
  }, 400_000);

  it('stops with the file and the keys when a file does not fit', async () => {
    logs.length = 0;
    expect(await main(['import', '--from', 'poster', join(fx, 'arbex.pth'), '--config', config, '--out', join(dir, 'bad')])).toBe(1);
    expect(logs.join('\n')).toMatch(/arbex\.pth \(poster, strict\): \d+ key\(s\) in the file have no place in the model:\s+vit\./);
    expect(await main(['import', '--from', 'nonsense', 'x.pth', '--out', dir])).toBe(1);
    expect(logs.join('\n')).toMatch(/--from must be one of arbex, poster, ir50, mobilefacenet/);
  });
});
