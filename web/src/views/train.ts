/**
 * Train: ARBEx-tiny on synthetic faces generated in this page (the project's generator and
 * loader, class-balanced batches, the CLI's loss with reliability balancing and the trust ramp),
 * live loss / accuracy curves, pause / resume, and the weights as a checkpoint the Node CLI loads.
 */
import { ArbexModel } from '../../../src/models/arbex/model.js';
import { configByName, DEFAULT_LOSS, type ArbexConfig } from '../../../src/models/arbex/config.js';
import { buildOptimizer, evaluate, trainStep, trustRamp, type Stepper } from '../../../src/train/trainer.js';
import { createLoader, type Loader } from '../../../src/data/loader.js';
import { synthConfig } from '../../../src/data/synth/generator.js';
import { synthSplits } from '../../../src/data/synth/splits.js';
import type { PresetName } from '../../../src/data/augment/config.js';
import type { HostBatch } from '../../../src/data/batch.js';
import { manualSeed } from '../../../src/tensor/create.js';
import { checkpointFiles, modelFromCheckpoint } from '../checkpoint.js';
import { drawLines, el, canvas, type Series } from '../draw.js';
import { changed, report, state } from '../state.js';

export interface TrainSettings {
  faces: number;
  batch: number;
  epochs: number;
  lr: number;
  augment: PresetName;
  seed: number;
  /** 'balanced' (as the CLI trains) or 'sequential' (the same batches every epoch). */
  sampler: 'balanced' | 'sequential';
  /** Validation faces scored at each epoch end (0: none). */
  valFaces: number;
}

export interface StepRecord {
  step: number;
  epoch: number;
  total: number;
  cls: number;
  acc: number;
  tau: number;
  /** Wall time of the step (ms), readback included. */
  ms: number;
}

interface Run {
  settings: TrainSettings;
  config: ArbexConfig;
  model: ArbexModel;
  stepper: Stepper;
  loader: Loader;
  val: Loader | null;
  totalSteps: number;
  step: number;
  epoch: number;
  iter: Iterator<HostBatch> | null;
  records: StepRecord[];
  valAcc: [number, number][];
  started: number;
  images: number;
  synthSizes: { train: number; val: number; test: number };
}

export interface TrainView {
  /** Starts a fresh run with these settings (replacing the form's values). */
  start(s?: Partial<TrainSettings>): void;
  /** Runs until `steps` more steps are done (or the run ends), then pauses; resolves with all records. */
  runSteps(steps: number): Promise<StepRecord[]>;
  pause(): void;
  resume(): void;
  files(): Promise<{ json: string; safetensors: Uint8Array }>;
}

const DEFAULTS: TrainSettings = { faces: 448, batch: 16, epochs: 4, lr: 1e-3, augment: 'heavy', seed: 1, sampler: 'balanced', valFaces: 56 };

export function trainView(root: HTMLElement): TrainView {
  const num = (id: string, v: number, step = '1') => el('input', { type: 'number', id, value: String(v), step, style: 'width:70px' });
  const inFaces = num('train-faces', DEFAULTS.faces);
  const inBatch = num('train-batch', DEFAULTS.batch);
  const inEpochs = num('train-epochs', DEFAULTS.epochs);
  const inLr = num('train-lr', DEFAULTS.lr, '0.0001');
  const inSeed = num('train-seed', DEFAULTS.seed);
  const inAug = el('select', { id: 'train-augment' }, ...(['heavy', 'standard', 'none'] as const).map((a) => el('option', { value: a, text: a })));
  const btnStart = el('button', { class: 'action', id: 'train-start', text: 'Start' });
  const btnPause = el('button', { class: 'plain', id: 'train-pause', text: 'Pause', disabled: '' });
  const btnDownload = el('button', { class: 'plain', id: 'train-download', text: 'Download weights', disabled: '' });
  const btnUse = el('button', { class: 'plain', id: 'train-use', text: 'Use in Predict', disabled: '' });
  const status = el('div', { class: 'small muted', id: 'train-status', text: 'ARBEx-tiny, Adam, class-balanced batches, reliability balancing with the trust ramp τ = step / total steps (as `arbex train`).' });
  const [lossC] = canvas(520, 240, 'smooth');
  const [accC] = canvas(520, 240, 'smooth');
  lossC.id = 'train-loss';
  accC.id = 'train-acc';
  root.append(
    el('div', { class: 'panel' },
      el('b', { text: 'Train ARBEx-tiny on synthetic faces generated in this page ' }),
      el('div', { class: 'small' }, 'faces ', inFaces, '  batch ', inBatch, '  epochs ', inEpochs, '  learning rate ', inLr, '  augmentation ', inAug, '  seed ', inSeed),
      el('div', {}, btnStart, ' ', btnPause, ' ', btnDownload, ' ', btnUse),
      status),
    el('div', { class: 'row' }, el('div', { class: 'panel' }, lossC), el('div', { class: 'panel' }, accC)),
    el('div', { class: 'panel small muted', text: 'Download saves best.json and best.safetensors: put both in one directory and run `node bin/arbex.mjs eval --checkpoint DIR` or `node bin/arbex.mjs predict --checkpoint DIR face.png`. The released anchor loss is unbounded below, so the total loss falls for that reason alone; the classification term (NLL of the blended distribution) is the curve to watch.' }),
  );

  let run: Run | null = null;
  let paused = true;
  let loop: Promise<void> | null = null;
  let stopAt = Infinity;
  let wake: (() => void) | null = null;

  const redraw = (): void => {
    const recs = run?.records ?? [];
    const smooth = (k: keyof StepRecord, w = 8): [number, number][] =>
      recs.map((r, i) => {
        const win = recs.slice(Math.max(0, i - w + 1), i + 1);
        return [r.step, win.reduce((s, x) => s + (x[k] as number), 0) / win.length];
      });
    const loss: Series[] = [
      { name: 'classification (NLL of blend)', color: '#2f5fd0', points: recs.map((r) => [r.step, r.cls]) },
      { name: 'total (with anchor + center)', color: '#c0392b', points: recs.map((r) => [r.step, r.total]) },
    ];
    drawLines(lossC, loss, 'loss per step');
    drawLines(accC, [
      { name: 'training accuracy (8-step mean)', color: '#2f5fd0', points: smooth('acc') },
      { name: 'validation accuracy (epoch end)', color: '#27ae60', points: run?.valAcc ?? [] },
    ], 'accuracy', [0, 1]);
  };
  redraw();

  const readSettings = (over: Partial<TrainSettings>): TrainSettings => {
    const s: TrainSettings = {
      faces: Math.floor(Number(inFaces.value)), batch: Math.floor(Number(inBatch.value)), epochs: Math.floor(Number(inEpochs.value)),
      lr: Number(inLr.value), augment: inAug.value as PresetName, seed: Math.floor(Number(inSeed.value)), sampler: 'balanced', valFaces: DEFAULTS.valFaces, ...over,
    };
    for (const [k, lo] of [['faces', 1], ['batch', 1], ['epochs', 1]] as const) {
      if (!(Number.isInteger(s[k]) && s[k] >= lo)) throw new Error(`train: ${k} must be an integer ≥ ${lo}, got ${s[k]}`);
    }
    if (!(s.lr > 0 && s.lr < 1)) throw new Error(`train: learning rate must be in (0, 1), got ${s.lr}`);
    if (s.batch > s.faces) throw new Error(`train: batch ${s.batch} is larger than the ${s.faces} training faces`);
    inFaces.value = String(s.faces);
    inBatch.value = String(s.batch);
    inEpochs.value = String(s.epochs);
    inLr.value = String(s.lr);
    inAug.value = s.augment;
    inSeed.value = String(s.seed);
    return s;
  };

  const newRun = (s: TrainSettings): Run => {
    if (run) run.model.dispose();
    manualSeed(s.seed);
    const config = configByName('tiny');
    const model = new ArbexModel(config);
    model.train();
    const stepper = buildOptimizer(model, { name: 'adam', lr: { backbone: s.lr, head: s.lr, anchors: s.lr, attention: s.lr }, weightDecay: 0, rho: 0.05 });
    const synthSizes = { train: s.faces, val: Math.max(1, s.valFaces), test: Math.max(28, Math.round(s.faces / 4)) };
    const splits = synthSplits(synthConfig({ size: Math.max(config.inputSize, 64), seed: s.seed }), synthSizes);
    const loader = createLoader({ source: splits.train, batchSize: s.batch, sampler: s.sampler, augment: s.augment, size: config.inputSize, seed: s.seed, dropLast: true });
    const val = s.valFaces === 0 ? null : createLoader({ source: splits.val, batchSize: 32, sampler: 'sequential', augment: 'eval', size: config.inputSize, seed: s.seed });
    return {
      settings: s, config, model, stepper, loader, val, totalSteps: s.epochs * loader.batchesPerEpoch, step: 0, epoch: 0, iter: null,
      records: [], valAcc: [], started: performance.now(), images: 0, synthSizes,
    };
  };

  const oneStep = async (r: Run): Promise<boolean> => {
    if (!r.iter) r.iter = r.loader.epoch(r.epoch)[Symbol.iterator]();
    const next = r.iter.next();
    if (next.done) {
      // Epoch end: validation accuracy on the generated validation faces (eval mode).
      if (r.val) {
        const ev = await evaluate(r.model, r.val.epoch(0));
        let ok = 0;
        for (let i = 0; i < ev.pred.length; i++) ok += ev.pred[i] === ev.cleanTruth[i] ? 1 : 0;
        r.valAcc.push([r.step, ok / Math.max(1, ev.pred.length)]);
      }
      r.epoch++;
      r.iter = null;
      return r.epoch < r.settings.epochs;
    }
    const b = next.value;
    const t0 = performance.now();
    const tau = trustRamp(r.step, r.totalSteps);
    const out = trainStep({ model: r.model, stepper: r.stepper, batch: b, tau, loss: DEFAULT_LOSS, seed: r.settings.seed * 1_000_003 + r.step });
    const [total, cls, pred] = await Promise.all([out.total.item(), out.cls.item(), out.pred.toArray()]);
    for (const t of [out.total, out.cls, out.anchor, out.center, out.pred]) t?.dispose();
    let ok = 0;
    for (let i = 0; i < b.size; i++) ok += pred[i] === b.labels[i] ? 1 : 0;
    r.step++;
    r.images += b.size;
    r.records.push({ step: r.step, epoch: r.epoch, total, cls, acc: ok / b.size, tau, ms: performance.now() - t0 });
    return true;
  };

  const setButtons = (): void => {
    btnPause.disabled = !run || (!loop && paused && (!run || run.epoch >= run.settings.epochs));
    btnPause.textContent = paused ? 'Resume' : 'Pause';
    btnDownload.disabled = !run || run.step === 0;
    btnUse.disabled = !run || run.step === 0;
  };

  const showStatus = (r: Run): void => {
    const last = r.records[r.records.length - 1];
    const secs = (performance.now() - r.started) / 1000;
    status.classList.remove('error');
    status.textContent = `epoch ${Math.min(r.epoch + 1, r.settings.epochs)}/${r.settings.epochs}, step ${r.step}/${r.totalSteps}` +
      (last ? `, loss ${last.total.toFixed(3)} (classification ${last.cls.toFixed(3)}), τ ${last.tau.toFixed(2)}, ${(last.ms / 1000).toFixed(2)} s/step` : '') +
      `, ${(r.images / Math.max(secs, 1e-3)).toFixed(1)} images/s${paused ? ' — paused' : ''}${r.epoch >= r.settings.epochs ? ' — done' : ''}`;
  };

  const ensureLoop = (): void => {
    if (loop) return;
    loop = (async () => {
      try {
        while (run && !paused && run.step < stopAt) {
          const r = run;
          const more = await oneStep(r);
          showStatus(r);
          redraw();
          if (!more) {
            paused = true;
            break;
          }
          // Let the page paint between steps.
          await new Promise((res) => setTimeout(res, 0));
        }
      } catch (e) {
        paused = true;
        report(status, e);
      } finally {
        loop = null;
        if (run && run.step >= stopAt) paused = true;
        if (run) showStatus(run);
        setButtons();
        const w = wake;
        wake = null;
        w?.();
      }
    })();
  };

  const view: TrainView = {
    start(over = {}) {
      paused = true;
      const go = (): void => {
        run = newRun(readSettings(over));
        paused = false;
        stopAt = Infinity;
        redraw();
        showStatus(run);
        setButtons();
        ensureLoop();
      };
      if (loop) void loop.then(go);
      else go();
    },
    async runSteps(steps) {
      if (!run) throw new Error('train: no run started');
      const r = run;
      // `steps` more than now (a loop already running stops there too).
      stopAt = r.step + steps;
      paused = false;
      await new Promise<void>((res) => {
        wake = res;
        ensureLoop();
      });
      wake = null;
      return [...r.records];
    },
    pause() {
      paused = true;
      setButtons();
    },
    resume() {
      if (!run) return;
      paused = false;
      stopAt = Infinity;
      setButtons();
      ensureLoop();
    },
    async files() {
      if (!run) throw new Error('train: nothing trained yet');
      const r = run;
      return checkpointFiles(r.model, {
        config: r.config, loss: DEFAULT_LOSS, seed: r.settings.seed, synth: {}, sizes: r.synthSizes, epochs: r.settings.epochs,
        batchSize: r.settings.batch, lr: r.settings.lr, augment: r.settings.augment, step: r.step, epoch: r.epoch,
      });
    },
  };

  btnStart.addEventListener('click', () => {
    try {
      view.start();
    } catch (e) {
      report(status, e);
    }
  });
  btnPause.addEventListener('click', () => (paused ? view.resume() : view.pause()));
  btnDownload.addEventListener('click', () => {
    view.files().then((f) => {
      const save = (data: BlobPart, name: string, type: string): void => {
        const a = el('a', { href: URL.createObjectURL(new Blob([data], { type })), download: name });
        document.body.append(a);
        a.click();
        a.remove();
      };
      save(f.json, 'best.json', 'application/json');
      save(f.safetensors as BlobPart, 'best.safetensors', 'application/octet-stream');
    }, (e) => report(status, e));
  });
  btnUse.addEventListener('click', () => {
    if (!run) return;
    view.pause();
    // Hand over a copy, so training can go on without changing what Predict shows.
    const step = run.step;
    view.files().then((f) => {
      state.model?.model.dispose();
      state.model = modelFromCheckpoint(f.json, f.safetensors, `trained in this page (step ${step})`);
      changed();
    }, (e) => report(status, e));
  });
  return view;
}
