// One test per reader bug the fuzzer found (scripts/reliability/fuzz.ts), so each stays fixed
// whatever seed the fuzz test happens to use.
import { describe, expect, it } from 'vitest';
import { decodeImage, nodeCodec } from '../../src/io/image/codec-node.js';
import { MemoryFiles } from '../../src/data/formats/files.js';
import { loadDataset } from '../../src/data/formats/detect.js';
import { writeDataset } from '../../src/data/formats/write.js';
import { synthSamples } from '../../src/data/dataset-node.js';
import { synthConfig } from '../../src/data/synth/generator.js';
import { checkStoredConfig } from '../../src/train/checkpoint-config.js';
import { FULL, TINY } from '../../src/models/arbex/config.js';

const samples = synthSamples(synthConfig({ size: 40, seed: 3 }), 10);

/** CRC-32 of PNG chunks, written from the PNG specification for this test. */
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('reader regressions found by fuzzing', () => {
  it('PNG whose IHDR claims more pixels than its data holds (valid CRC) is refused, not zero-filled', () => {
    const png = new Uint8Array(nodeCodec.encodePng(samples[0]!.sample.image));
    const dv = new DataView(png.buffer);
    dv.setUint32(16, 65536); // width, inside the IHDR data
    dv.setUint32(29, crc32(png.subarray(12, 29)));
    expect(() => decodeImage(png, 'faces/x.png')).toThrow(/faces\/x\.png: corrupt PNG \(image data inflates to .* header needs/);
  });

  it('a header claiming more pixels than the file can hold is refused before decoding', () => {
    const jpg = new Uint8Array(nodeCodec.encodeJpeg(samples[0]!.sample.image, 90));
    const dv = new DataView(jpg.buffer);
    for (let p = 2; p < jpg.length; p += 2 + dv.getUint16(p + 2)) {
      if (jpg[p + 1] === 0xc0) {
        dv.setUint16(p + 5, 30000);
        dv.setUint16(p + 7, 30000);
        break;
      }
    }
    expect(() => decodeImage(jpg, 'a.jpg')).toThrow(/a\.jpg: header says 30000×30000 pixels/);
  });

  it('FER2013: a row whose pixels column lost values is an error naming the row, not a smaller image', () => {
    const m = new MemoryFiles();
    writeDataset('fer2013', samples, m, nodeCodec);
    const lines = new TextDecoder().decode(m.read('fer2013.csv')).split('\n');
    const cells = lines[3]!.split(',');
    cells[1] = cells[1]!.split(' ').slice(0, 47 * 47).join(' '); // a square count: 47×47
    lines[3] = cells.join(',');
    m.write('fer2013.csv', lines.join('\n'));
    expect(() => loadDataset(m, { decode: nodeCodec.decode })).toThrow(/fer2013\.csv:4: column pixels: expected 2304 .* got 2209/);
  });

  it('AffectNet: a face box far larger than its image is an error naming the row', () => {
    const m = new MemoryFiles();
    writeDataset('affectnet', samples, m, nodeCodec, 1);
    const lines = new TextDecoder().decode(m.read('training.csv')).split('\n');
    const cells = lines[2]!.split(',');
    cells[3] = '999999999999';
    lines[2] = cells.join(',');
    m.write('training.csv', lines.join('\n'));
    expect(() => loadDataset(m, { decode: nodeCodec.decode })).toThrow(/training\.csv:3: face box .* w=999999999999 .* does not fit/);
  });

  it('checkpoint config: released and tiny configs pass, hostile ones name the field', () => {
    expect(checkStoredConfig(structuredClone(TINY), 'c.json')).toEqual(TINY);
    expect(checkStoredConfig(structuredClone(FULL), 'c.json')).toEqual(FULL);
    const scope = structuredClone(TINY);
    scope.head.attentionScope = 'batch';
    expect(checkStoredConfig(scope, 'c.json').head.attentionScope).toBe('batch');
    const huge = structuredClone(TINY) as unknown as { image: { widths: number[] } };
    huge.image.widths[0] = 1000;
    expect(() => checkStoredConfig(huge, 'run/last.json')).toThrow(/run\/last\.json: state\.options\.config\.image\.widths\[0\]: expected an integer in \[0, 128\], got 1000/);
    expect(() => checkStoredConfig({ ...structuredClone(TINY), tokenDim: '96' }, 'c.json')).toThrow(/config\.tokenDim: expected number, got "96"/);
    expect(() => checkStoredConfig(null, 'c.json')).toThrow(/c\.json: state\.options\.config: expected an object/);
  });
});
