// A complete training loop with modules and an optimizer: a small CNN learns to tell three
// kinds of stripes apart. Run with `node train-cnn.mjs` next to an installed arbex-webgpu
// (in this repository: `npm run build`, then `node examples/train-cnn.mjs`).
import {
  initNodeEngine, ArrayDataset, Sequential, Conv2d, ReLU, MaxPool2d, Flatten, Linear, Adam,
  crossEntropy, backward, tidy, noGrad, argmax, Rng,
} from 'arbex-webgpu';

await initNodeEngine(); // browsers: initEngine()

// 600 noisy 12×12 images: horizontal (0), vertical (1) or diagonal (2) stripes.
const n = 600, size = 12, rng = new Rng(7);
const pixels = new Float32Array(n * size * size);
const labels = new Uint8Array(n); // integer arrays become i32 tensors
for (let i = 0; i < n; i++) {
  const cls = i % 3, phase = rng.int(3);
  labels[i] = cls;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = cls === 0 ? y : cls === 1 ? x : x + y;
      pixels[(i * size + y) * size + x] = ((t + phase) % 3 === 0 ? 1 : 0) + 0.3 * rng.normal();
    }
  }
}
const [train, test] = new ArrayDataset({
  x: { data: pixels, shape: [n, 1, size, size] },
  y: { data: labels, shape: [n] },
}).split(0.8, 1);

const model = new Sequential(
  new Conv2d(1, 8, 3, 1, 'same'), new ReLU(), new MaxPool2d(2), // [B, 8, 6, 6]
  new Conv2d(8, 16, 3, 1, 'same'), new ReLU(), new MaxPool2d(2), // [B, 16, 3, 3]
  new Flatten(), new Linear(16 * 3 * 3, 3),
);
const optimizer = new Adam(model.parameters(), { lr: 3e-3 });

for (let epoch = 1; epoch <= 4; epoch++) {
  model.train();
  let total = 0, batches = 0;
  for (const { x, y } of train.batches(32, { shuffle: true, seed: epoch })) {
    const loss = tidy(() => {
      optimizer.zeroGrad();
      const l = crossEntropy(model.forward(x), y);
      backward(l); // fills each parameter's .grad
      optimizer.step();
      return l; // everything else made inside tidy is released
    });
    total += await loss.item();
    loss.dispose();
    batches++;
  }
  console.log(`epoch ${epoch}: mean training loss ${(total / batches).toFixed(4)}`);
}

model.eval();
let correct = 0;
for (const { x, y } of test.batches(64)) {
  const pred = noGrad(() => tidy(() => argmax(model.forward(x), 1)));
  const [p, t] = [await pred.toArray(), await y.toArray()];
  pred.dispose();
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) correct++;
}
console.log(`test accuracy ${((100 * correct) / test.length).toFixed(1)} % (${correct}/${test.length})`);
process.exit(0); // Dawn keeps native handles open; exit explicitly
