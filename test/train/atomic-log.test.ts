import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../../src/train/atomic-node.js';
import { JsonlLogger } from '../../src/train/log-node.js';

const root = mkdtempSync(join(tmpdir(), 'atomic-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(root, `case${n++}`);
  mkdirSync(d);
  return d;
};

describe('writeFileAtomic', () => {
  it('writes text, bytes and chunks, replacing an existing file', () => {
    const d = fresh();
    const p = join(d, 'a.txt');
    writeFileAtomic(p, 'first');
    expect(readFileSync(p, 'utf8')).toBe('first');
    writeFileAtomic(p, Uint8Array.from([104, 105]));
    expect(readFileSync(p, 'utf8')).toBe('hi');
    writeFileAtomic(p, ['a', Uint8Array.from([98]), 'c']);
    expect(readFileSync(p, 'utf8')).toBe('abc');
    expect(readdirSync(d)).toEqual(['a.txt']);
  });

  it('a failure mid-write leaves the old file intact and no temp file', () => {
    const d = fresh();
    const p = join(d, 'model.bin');
    writeFileSync(p, 'old');
    function* chunks(): Generator<string> {
      yield 'partial data ';
      yield 'more ';
      throw new Error('disk on fire');
    }
    expect(() => writeFileAtomic(p, chunks())).toThrow('disk on fire');
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['model.bin']);
    // Same without a previous file: nothing at the target at all.
    const q = join(d, 'new.bin');
    expect(() => writeFileAtomic(q, chunks())).toThrow('disk on fire');
    expect(existsSync(q)).toBe(false);
    expect(readdirSync(d)).toEqual(['model.bin']);
  });

  it('a missing directory is an error and creates nothing', () => {
    const d = fresh();
    expect(() => writeFileAtomic(join(d, 'nope', 'x.txt'), 'data')).toThrow(/ENOENT/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('a failing rename (target is a directory) removes the temp file', () => {
    const d = fresh();
    mkdirSync(join(d, 'target'));
    writeFileSync(join(d, 'target', 'keep'), 'x');
    expect(() => writeFileAtomic(join(d, 'target'), 'data')).toThrow();
    expect(readdirSync(d)).toEqual(['target']);
  });
});

describe('writeJsonAtomic', () => {
  it('writes pretty JSON with a trailing newline', () => {
    const d = fresh();
    writeJsonAtomic(join(d, 'c.json'), { a: 1, b: [true] });
    expect(readFileSync(join(d, 'c.json'), 'utf8')).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}\n');
  });

  it('unserialisable values leave no trace', () => {
    const d = fresh();
    const p = join(d, 'c.json');
    writeFileSync(p, '{"ok":true}');
    expect(() => writeJsonAtomic(p, { big: 10n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => writeJsonAtomic(p, cyclic)).toThrow(/circular/i);
    expect(() => writeJsonAtomic(p, { toJSON: () => { throw new Error('boom'); } })).toThrow('boom');
    expect(() => writeJsonAtomic(p, undefined)).toThrow(/not JSON-serialisable/);
    expect(readFileSync(p, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(d)).toEqual(['c.json']);
  });
});

describe('JsonlLogger', () => {
  it('creates directories and appends one JSON object per line, readable before close', () => {
    const p = join(root, 'logs', 'run1', 'train.jsonl');
    const log = new JsonlLogger(p);
    log.log({ step: 1, loss: 0.5 });
    // Written through on each call: visible to a reader while the run is still going.
    expect(readFileSync(p, 'utf8')).toBe('{"step":1,"loss":0.5}\n');
    log.log({ step: 2, loss: NaN, note: 'line\nbreak' });
    log.close();
    log.close(); // idempotent
    expect(() => log.log({ step: 3 })).toThrow(/closed/);
    const again = new JsonlLogger(p); // reopening appends
    again.log({ step: 3 });
    again.close();
    const lines = readFileSync(p, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { step: 1, loss: 0.5 },
      { step: 2, loss: null, note: 'line\nbreak' },
      { step: 3 },
    ]);
  });

  it('a value that fails to serialise writes nothing and the logger stays usable', () => {
    const p = join(root, 'logs', 'run2.jsonl');
    const log = new JsonlLogger(p);
    expect(() => log.log({ big: 1n })).toThrow(TypeError);
    log.log({ ok: 1 });
    log.close();
    expect(readFileSync(p, 'utf8')).toBe('{"ok":1}\n');
  });
});
