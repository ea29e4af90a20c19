/**
 * Predict & explain: choose a checkpoint and a face, see the class probabilities and reliability
 * balancing at work (p, anchor correction t, attention correction v, their confidences, the
 * blend), the window cross-attention at the three scales, and the embedding among the anchors.
 */
import { CANONICAL_CLASSES } from '../../../src/data/labels.js';
import { analyse, type Analysis } from '../analyse.js';
import { checkpointFromFiles, fetchServedCheckpoint, randomModel } from '../checkpoint.js';
import { AU_CODES, AU_NAMES, NUM_AUS, datasetFace, imageFromFile, imageFromVideo, prototypeAus, synthFace } from '../images.js';
import { anchorPlot, bars, el, heatOverlay, imageCanvas } from '../draw.js';
import { changed, onChange, report, state } from '../state.js';

export interface PredictView {
  /** Runs the analysis of the current model and face and redraws. */
  run(): Promise<Analysis | null>;
  last(): Analysis | null;
}

export function classNames(C: number): string[] {
  return CANONICAL_CLASSES.slice(0, C) as unknown as string[];
}

export function predictView(root: HTMLElement): PredictView {
  let lastAnalysis: Analysis | null = null;
  const ckptStatus = el('span', { class: 'small muted', id: 'ckpt-status', text: 'no model loaded' });
  const btnServed = el('button', { class: 'action', id: 'ckpt-served', text: 'Load served checkpoint' });
  const fileIn = el('input', { type: 'file', id: 'ckpt-files', multiple: '', accept: '.json,.safetensors' });
  const btnRandom = el('button', { class: 'plain', id: 'ckpt-random', text: 'Random-init tiny' });
  const ckptPanel = el('div', { class: 'panel', id: 'ckpt-panel' },
    el('b', { text: 'Checkpoint ' }), btnServed, ' ', btnRandom, ' ',
    el('label', { class: 'small' }, ' or drop / choose <tag>.json + <tag>.safetensors: ', fileIn), ' ', ckptStatus);

  // Face sources.
  const subject = el('input', { type: 'range', min: '0', max: '999', value: '7', id: 'subject' });
  const sliders: HTMLInputElement[] = [];
  const grid = el('div', { class: 'sliders' });
  const valLabels: HTMLElement[] = [];
  AU_CODES.forEach((code) => {
    const s = el('input', { type: 'range', min: '0', max: '1.2', step: '0.05', value: '0', 'data-au': String(code) });
    const v = el('span', { text: '0.00' });
    sliders.push(s);
    valLabels.push(v);
    grid.append(el('span', { text: `AU${code} ${AU_NAMES[code]}` }), s, v);
    s.addEventListener('input', () => {
      v.textContent = Number(s.value).toFixed(2);
      scheduleSynth();
    });
  });
  const presets = el('div', { class: 'small' }, 'expression prototype: ');
  classNames(7).forEach((name, c) => {
    const b = el('button', { class: 'plain', text: name });
    b.addEventListener('click', () => setAus(prototypeAus(c, Number(subject.value))));
    presets.append(b, ' ');
  });
  const dsIndex = el('input', { type: 'number', min: '0', value: '0', style: 'width:60px' });
  const btnDataset = el('button', { class: 'plain', text: 'use test-split face #' });
  const imgFile = el('input', { type: 'file', id: 'image-file', accept: 'image/*' });
  const btnCam = el('button', { class: 'plain', id: 'webcam', text: 'Webcam' });
  const btnSnap = el('button', { class: 'plain', text: 'Snap', disabled: '' });
  const video = el('video', { width: '160', height: '120', autoplay: '', muted: '', playsinline: '', style: 'display:none' });
  const preview = el('div', { id: 'face-preview' });
  const imgStatus = el('div', { class: 'small muted' });
  const facePanel = el('div', { class: 'panel' },
    el('b', { text: 'Face' }),
    el('div', { class: 'row' },
      el('div', {}, el('div', { class: 'small' }, 'synthetic face (the project\'s generator): subject ', subject), presets, grid),
      el('div', {}, preview, imgStatus,
        el('div', { class: 'small' }, btnDataset, dsIndex),
        el('div', { class: 'small' }, 'image file: ', imgFile),
        el('div', { class: 'small' }, btnCam, ' ', btnSnap), video)));
  const out = el('div', { id: 'predict-out' });
  const outStatus = el('div', { class: 'small muted', id: 'predict-status' });
  root.append(ckptPanel, facePanel, outStatus, out);

  const setFace = (img: typeof state.image, name: string): void => {
    state.image = img;
    state.imageName = name;
    preview.replaceChildren(img ? imageCanvas(img, 112) : el('span'));
    imgStatus.textContent = img ? `${name} (${img.width}×${img.height})` : '';
    imgStatus.classList.remove('error');
    changed();
    void view.run();
  };
  const currentAus = (): Float32Array => Float32Array.from(sliders, (s) => Number(s.value));
  const setAus = (aus: Float32Array): void => {
    for (let i = 0; i < NUM_AUS; i++) {
      sliders[i]!.value = String(Math.round(aus[i]! * 20) / 20);
      valLabels[i]!.textContent = Number(sliders[i]!.value).toFixed(2);
    }
    synthNow();
  };
  const synthNow = (): void => setFace(synthFace({ subject: Number(subject.value), aus: currentAus() }), `synthetic face, subject ${subject.value}`);
  let timer = 0;
  const scheduleSynth = (): void => {
    clearTimeout(timer);
    timer = window.setTimeout(synthNow, 150);
  };
  subject.addEventListener('input', scheduleSynth);
  btnDataset.addEventListener('click', () => {
    const i = Math.max(0, Math.floor(Number(dsIndex.value) || 0));
    const f = datasetFace(i);
    setFace(f.image, `test-split face #${i} (${classNames(7)[f.cleanLabel]})`);
  });
  imgFile.addEventListener('change', () => {
    const f = imgFile.files?.[0];
    if (!f) return;
    imageFromFile(f, f.name).then((img) => setFace(img, f.name), (e) => report(imgStatus, e));
  });
  btnCam.addEventListener('click', () => {
    if (!navigator.mediaDevices?.getUserMedia) return report(imgStatus, new Error('webcam: not available here (needs a secure context and a camera)'));
    navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } }).then(
      (stream) => {
        video.srcObject = stream;
        video.style.display = '';
        btnSnap.disabled = false;
      },
      (e) => report(imgStatus, new Error(`webcam: ${(e as Error).message}`)),
    );
  });
  btnSnap.addEventListener('click', () => {
    try {
      setFace(imageFromVideo(video), 'webcam snapshot');
    } catch (e) {
      report(imgStatus, e);
    }
  });

  const useModel = (p: Promise<typeof state.model>): void => {
    ckptStatus.textContent = 'loading…';
    ckptStatus.classList.remove('error');
    p.then((m) => {
      if (!m) {
        ckptStatus.textContent = 'no checkpoint is served (train one with bash scripts/train-demo.sh, or drop files here)';
        return;
      }
      state.model?.model.dispose();
      state.model = m;
      changed();
    }, (e) => report(ckptStatus, e));
  };
  btnServed.addEventListener('click', () => useModel(fetchServedCheckpoint()));
  btnRandom.addEventListener('click', () => useModel(Promise.resolve(randomModel('tiny'))));
  fileIn.addEventListener('change', () => useModel(checkpointFromFiles([...(fileIn.files ?? [])])));
  // Dropping files anywhere on the view: checkpoint files, or an image.
  root.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    ckptPanel.classList.add('drop');
  });
  root.addEventListener('dragleave', () => ckptPanel.classList.remove('drop'));
  root.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ckptPanel.classList.remove('drop');
    const files = [...(ev.dataTransfer?.files ?? [])];
    const img = files.find((f) => f.type.startsWith('image/'));
    if (img) void imageFromFile(img, img.name).then((i) => setFace(i, img.name), (e) => report(imgStatus, e));
    else useModel(checkpointFromFiles(files));
  });

  let running: Promise<Analysis | null> | null = null;
  let runningFor: { model: typeof state.model; image: typeof state.image } = { model: null, image: null };
  const render = (a: Analysis): void => {
    const names = classNames(a.config.numClasses);
    const top = [...a.probs].map((p, c) => [p, c] as const).sort((x, y) => y[0] - x[0]);
    const S = 150;
    const maps = a.windowMaps.map((m, s) => el('figure', {}, heatOverlay(a.input, m.data, m.shape[0]!, S), el('figcaption', { class: 'small', text: `scale ${s + 1}: ${m.shape[0]}×${m.shape[1]} map, window ${a.config.attention.windows[s]}` })));
    const conf = (x: number) => x.toFixed(3);
    out.replaceChildren(
      el('div', { class: 'panel' },
        el('h2', { text: `Prediction: ${names[top[0]![1]]} (${(top[0]![0] * 100).toFixed(1)} %)` }),
        el('div', { class: 'small muted', text: `${a.config.head.testTimeCorrection ? 'anchor-corrected' : 'primary distribution p'} as \`arbex predict\` prints it; ${a.ms.toFixed(0)} ms in this page` }),
        el('div', { class: 'row' }, bars(names, a.probs, 'Class probabilities'))),
      el('div', { class: 'panel' },
        el('h2', { text: 'Reliability balancing' }),
        el('p', { class: 'small', text: 'Two label-correction proposals are weighed against the primary prediction p by their confidences c(·) = 1 − H(·)/ln C (normalised entropy): the anchor correction t (softmax over −distances from the embedding to the learned class anchors) and the attention correction v (self-attention over the anchor slots).' }),
        el('div', { class: 'row', id: 'rb' },
          bars(names, a.p, 'p — primary', `confidence c(p) = ${conf(a.cp)}`),
          bars(names, a.t, 't — anchor correction', `confidence c(t) = ${conf(a.ct)}`),
          bars(names, a.v, 'v — attention correction', `confidence c(v) = ${conf(a.cv)}`),
          bars(names, a.q, 'blend q', `q = c(p)·p + (1 − c(p))·r, weight of p ${conf(a.cp)}`)),
        el('div', { class: 'formula', text: `r = (c(t)·t + c(v)·v) / (c(t) + c(v));  q = ${conf(a.cp)}·p + ${conf(1 - a.cp)}·r;  training blends p̂ = (1 − τ)·p + τ·q with the trust ramp τ` })),
      el('div', { class: 'row' },
        el('div', { class: 'panel' },
          el('h2', { text: 'Window cross-attention over the face' }),
          el('div', { class: 'small muted', text: 'attention each image position receives from the landmark queries (mean over heads and queries), per scale' }),
          el('div', { class: 'row' }, el('figure', {}, imageCanvas(a.input, S), el('figcaption', { class: 'small', text: `input ${a.input.width}×${a.input.height}` })), ...maps)),
        el('div', { class: 'panel' },
          el('h2', { text: 'Embedding among the class anchors' }),
          el('div', { class: 'small muted', text: `anchors' two principal axes (PCA of ${a.anchors.shape[0]! * a.anchors.shape[1]!} anchors, dim ${a.anchors.shape[2]})` }),
          anchorPlot(a.anchors2d, a.anchors.shape[1]!, a.e2d, names))),
    );
  };
  const view: PredictView = {
    last: () => lastAnalysis,
    async run() {
      if (!state.model || !state.image) {
        outStatus.textContent = !state.model ? 'Load a checkpoint to see predictions.' : 'Choose a face.';
        return null;
      }
      if (running) {
        // Same model and face as the run in flight: share it; else run again once it ends.
        if (runningFor.model === state.model && runningFor.image === state.image) return running;
        return running.then(() => view.run());
      }
      runningFor = { model: state.model, image: state.image };
      outStatus.textContent = 'running the model…';
      outStatus.classList.remove('error');
      running = (async () => {
        try {
          const m = state.model!;
          const a = await analyse(m.model, m.config, state.image!);
          lastAnalysis = a;
          render(a);
          outStatus.textContent = `${state.imageName} → ${m.name}`;
          return a;
        } catch (e) {
          report(outStatus, e);
          return null;
        } finally {
          running = null;
        }
      })();
      return running;
    },
  };
  let shownModel: typeof state.model = null;
  onChange(() => {
    const m = state.model;
    if (m === shownModel) return;
    shownModel = m;
    if (m) {
      ckptStatus.classList.remove('error');
      ckptStatus.textContent = `${m.name}: ARBEx-${m.config.name}, ${m.model.numParameters().toLocaleString('en')} parameters, input ${m.config.inputSize}×${m.config.inputSize}`;
    }
    void view.run();
  });
  // A first face so the page is never empty.
  setAus(prototypeAus(1, Number(subject.value)));
  return view;
}
