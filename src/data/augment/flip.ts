// Horizontal flip of iBUG-68 landmarks: mirroring the image turns the subject's right eye into
// the left one, so besides x → W − x the indices of paired points must be swapped.

function buildPermutation(): Int32Array {
  const p = new Int32Array(68);
  for (let i = 0; i < 68; i++) p[i] = i;
  const pair = (a: number, b: number): void => {
    p[a] = b;
    p[b] = a;
  };
  for (let i = 0; i < 8; i++) pair(i, 16 - i); // jaw; 8 (chin) stays
  for (let i = 0; i < 5; i++) pair(17 + i, 26 - i); // brows
  pair(31, 35); // nostril base; 27-30 and 33 stay
  pair(32, 34);
  pair(36, 45); // eyes: outer corners, upper lids, inner corners, lower lids
  pair(37, 44);
  pair(38, 43);
  pair(39, 42);
  pair(40, 47);
  pair(41, 46);
  pair(48, 54); // outer lip; 51 and 57 stay
  pair(49, 53);
  pair(50, 52);
  pair(55, 59);
  pair(56, 58);
  pair(60, 64); // inner lip; 62 and 66 stay
  pair(61, 63);
  pair(65, 67);
  return p;
}

/** FLIP_PERMUTATION[i] = index of the point that lands on point i's role after mirroring. */
export const FLIP_PERMUTATION: Readonly<Int32Array> = buildPermutation();

/** Mirror 68 landmarks (pixel coordinates) across an image of the given width. */
export function flipLandmarks(lm: Float32Array, width: number): Float32Array {
  const out = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    const j = FLIP_PERMUTATION[i] as number;
    out[2 * i] = width - (lm[2 * j] as number);
    out[2 * i + 1] = lm[2 * j + 1] as number;
  }
  return out;
}
