import { describe, expect, it } from 'vitest';
import { Progress, formatEta } from '../../src/train/progress.js';

/** A sink that records writes, and a clock the test advances by hand. */
function fake(isTTY: boolean): { out: string[]; stream: { write(t: string): void; isTTY: boolean }; clock: { t: number }; now: () => number } {
  const out: string[] = [];
  const clock = { t: 0 };
  return { out, stream: { write: (t: string) => void out.push(t), isTTY }, clock, now: () => clock.t };
}

describe('progress', () => {
  it('formats ETAs', () => {
    expect(formatEta(42)).toBe('0:42');
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(NaN)).toBe('--:--');
  });

  it('renders bar, percent, count, throughput, loss and ETA on a TTY', () => {
    const f = fake(true);
    const p = new Progress({ total: 266, label: 'epoch 3', stream: f.stream, now: f.now, barWidth: 10 });
    f.clock.t = 120_000; // 120 s for 120 items → 1 s/item, 146 left → ETA 2:26
    p.tick(120, { loss: 1.2341, imagesPerSec: 35.24 });
    // 120/266 = 45.1 %: 4 of 10 cells filled, then the head.
    expect(f.out).toEqual(['\repoch 3 [====>     ]  45% 120/266 img/s 35.2 loss 1.234 ETA 2:26']);
    f.clock.t = 240_000;
    p.tick(146);
    // One space pads over the longer "ETA 2:26" tail of the previous line.
    expect(f.out[1]).toBe('\repoch 3 [==========] 100% 266/266 img/s 35.2 loss 1.234 in 4:00 ');
    p.done();
    expect(f.out[f.out.length - 1]).toBe('\n');
    p.tick(5); // ignored after done
    expect(f.out[f.out.length - 1]).toBe('\n');
  });

  it('throttles TTY redraws to at most 10 per second but always shows the end', () => {
    const f = fake(true);
    const p = new Progress({ total: 1000, stream: f.stream, now: f.now });
    for (let i = 0; i < 1000; i++) {
      f.clock.t += 2; // 500 ticks per second
      p.tick(1, { loss: 1 / (i + 1) });
    }
    p.done();
    const draws = f.out.filter((s) => s.startsWith('\r'));
    // 2 s of ticks → ≤ 20 throttled draws, plus the final position and done().
    expect(draws.length).toBeLessThanOrEqual(22);
    expect(draws.length).toBeGreaterThanOrEqual(15);
    expect(draws[draws.length - 1]).toMatch(/1000\/1000/);
  });

  it('pads over a longer previous line', () => {
    const f = fake(true);
    const p = new Progress({ total: 10, stream: f.stream, now: f.now, minIntervalMs: 0 });
    p.tick(1, { extra: { note: 'a long status message' } });
    p.tick(1, { extra: { note: 'x' } });
    expect(f.out[1]!.length).toBe(f.out[0]!.length);
    expect(f.out[1]!.endsWith(' ')).toBe(true);
  });

  it('prints plain lines every 10 % when not a TTY, without carriage returns', () => {
    const f = fake(false);
    const p = new Progress({ total: 100, label: 'val', stream: f.stream, now: f.now });
    for (let i = 0; i < 100; i++) {
      f.clock.t += 10;
      p.tick(1, { loss: 0.5 });
    }
    p.done(); // already printed at 100 %: nothing more
    expect(f.out.length).toBe(10);
    expect(f.out.every((s) => s.endsWith('\n') && !s.includes('\r') && !s.includes('['))).toBe(true);
    expect(f.out[0]).toBe('val  10% 10/100 loss 0.5000 ETA 0:01\n'); // 0.1 s for 10 → 0.9 s left
    expect(f.out[9]).toMatch(/^val 100% 100\/100 loss 0.5000 in 0:01\n$/);
  });

  it('prints a plain line after 30 s even without a 10 % step, and on done()', () => {
    const f = fake(false);
    const p = new Progress({ total: 1000, stream: f.stream, now: f.now });
    f.clock.t = 10_000;
    p.tick(1);
    expect(f.out.length).toBe(0);
    f.clock.t = 31_000;
    p.tick(1);
    expect(f.out.length).toBe(1);
    expect(f.out[0]).toMatch(/^  0% 2\/1000 ETA /);
    f.clock.t = 40_000;
    p.tick(1);
    expect(f.out.length).toBe(1);
    p.done();
    expect(f.out.length).toBe(2);
    expect(f.out[1]).toMatch(/^  0% 3\/1000 ETA /);
  });

  it('copes with total 0 and rejects negative totals', () => {
    const f = fake(true);
    const p = new Progress({ total: 0, stream: f.stream, now: f.now });
    p.done();
    expect(f.out[0]).toMatch(/100% 0\/0/);
    expect(() => new Progress({ total: -1, stream: f.stream })).toThrow(/total/);
  });
});
