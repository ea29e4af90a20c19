/**
 * PyTorch checkpoints (`torch.save`) read and written, pure (bytes in, bytes out; no Node).
 *
 * Read: the ZIP format (PyTorch ≥ 1.6: `<dir>/data.pkl` + one `<dir>/data/<key>` entry per
 * storage) and the legacy stream (pre-1.6 `.pth` / `.pth.tar`: magic, protocol and sys-info
 * pickles, the object pickle, the storage-key list, then each storage as an int64 count and raw
 * bytes). The object pickle goes through the restricted reader (pickle.ts): only the names below
 * mean anything — OrderedDict, the tensor/parameter rebuild functions and the typed storage
 * classes — every other name stays an inert placeholder, so nothing in the file is executed.
 * Tensors honour dtype, storage offset, sizes and strides (views are materialised
 * row-major) and are bounds-checked against their storage.
 *
 * Write: an OrderedDict of tensors (float32 / int64) in the ZIP format, which `torch.load`
 * reads and `load_state_dict` accepts.
 */
import type { HostTensor } from '../nn/host-tensor.js';
import { halfToFloat } from './safetensors.js';
import { isZip, readZip, writeZip } from './zip.js';
import { PickleDict, PickleError, PickleOpaque, PickleTuple, PickleWriter, describe, unpickle, type PickleCallable } from './pickle.js';

export class PthError extends Error {
  override name = 'PthError';
}

export type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const STORAGES: Readonly<Record<string, [TorchDType, number]>> = {
  FloatStorage: ['float32', 4], DoubleStorage: ['float64', 8], HalfStorage: ['float16', 2], BFloat16Storage: ['bfloat16', 2],
  LongStorage: ['int64', 8], IntStorage: ['int32', 4], ShortStorage: ['int16', 2], CharStorage: ['int8', 1],
  ByteStorage: ['uint8', 1], BoolStorage: ['bool', 1],
};

/** A tensor read from a checkpoint: host data plus the dtype it had in PyTorch. */
export interface PthTensor extends HostTensor {
  readonly torchDType: TorchDType;
}

class StorageType {
  constructor(readonly dtype: TorchDType, readonly itemSize: number) {}
}

class Storage {
  bytes: Uint8Array | null = null;
  constructor(readonly key: string, readonly type: StorageType, readonly numel: number) {}
}

/** A tensor as the pickle describes it; its data is read from the storage when materialised. */
export class PthTensorRef {
  constructor(readonly storage: Storage, readonly offset: number, readonly size: number[], readonly stride: number[]) {}

  materialize(name: string, source: string): PthTensor {
    const fail = (m: string): never => {
      throw new PthError(`${source}: tensor '${name}': ${m}`);
    };
    const { storage: s, offset, size, stride } = this;
    if (!s.bytes) fail(`storage '${s.key}' has no data in the file`);
    const bytes = s.bytes!;
    if (bytes.length !== s.numel * s.type.itemSize) fail(`storage '${s.key}' holds ${bytes.length} bytes, expected ${s.numel} × ${s.type.itemSize}`);
    if (size.length !== stride.length) fail(`${size.length} sizes but ${stride.length} strides`);
    const n = size.reduce((a, b) => a * b, 1);
    if (n > 0) {
      let hi = offset, lo = offset;
      size.forEach((d, i) => (stride[i]! >= 0 ? (hi += (d - 1) * stride[i]!) : (lo += (d - 1) * stride[i]!)));
      if (lo < 0 || hi >= s.numel) fail(`view (offset ${offset}, size [${size}], stride [${stride}]) reaches outside its storage of ${s.numel} elements`);
    }
    const shape = [...size];
    // Fast path: a contiguous float32 view is one copy of its bytes.
    const contiguous = size.every((d, i) => d === 1 || stride[i] === size.slice(i + 1).reduce((a, b) => a * b, 1));
    if (contiguous && s.type.dtype === 'float32' && LITTLE_ENDIAN) {
      return { shape, torchDType: 'float32', data: new Float32Array(bytes.slice(offset * 4, (offset + n) * 4).buffer) };
    }
    // Element indices of the view in row-major order.
    const idx = new Float64Array(n);
    const pos = new Array<number>(size.length).fill(0);
    let cur = offset;
    for (let k = 0; k < n; k++) {
      idx[k] = cur;
      for (let d = size.length - 1; d >= 0; d--) {
        pos[d]!++;
        cur += stride[d]!;
        if (pos[d]! < size[d]!) break;
        cur -= pos[d]! * stride[d]!;
        pos[d] = 0;
      }
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dt = s.type.dtype;
    const at = (k: number): number => idx[k]! * s.type.itemSize;
    switch (dt) {
      case 'float32': return { shape, torchDType: dt, data: Float32Array.from({ length: n }, (_, k) => dv.getFloat32(at(k), true)) };
      case 'float64': return { shape, torchDType: dt, data: Float32Array.from({ length: n }, (_, k) => dv.getFloat64(at(k), true)) };
      case 'float16': return { shape, torchDType: dt, data: Float32Array.from({ length: n }, (_, k) => halfToFloat(dv.getUint16(at(k), true))) };
      case 'bfloat16': {
        const f = new DataView(new ArrayBuffer(4));
        return { shape, torchDType: dt, data: Float32Array.from({ length: n }, (_, k) => (f.setUint32(0, dv.getUint16(at(k), true) << 16), f.getFloat32(0))) };
      }
      case 'int64': return {
        shape, torchDType: dt, data: Int32Array.from({ length: n }, (_, k) => {
          const v = dv.getBigInt64(at(k), true);
          if (v < -2147483648n || v > 2147483647n) fail(`element ${k} = ${v} does not fit int32`);
          return Number(v);
        }),
      };
      case 'int32': return { shape, torchDType: dt, data: Int32Array.from({ length: n }, (_, k) => dv.getInt32(at(k), true)) };
      case 'int16': return { shape, torchDType: dt, data: Int32Array.from({ length: n }, (_, k) => dv.getInt16(at(k), true)) };
      case 'int8': return { shape, torchDType: dt, data: Int32Array.from({ length: n }, (_, k) => dv.getInt8(at(k))) };
      case 'uint8': case 'bool': return { shape, torchDType: dt, data: Uint32Array.from({ length: n }, (_, k) => dv.getUint8(at(k))) };
    }
  }
}

const ints = (v: unknown, what: string, fail: (m: string) => never): number[] => {
  const items = v instanceof PickleTuple ? v.items : Array.isArray(v) ? v : fail(`${what} must be a tuple of integers, got ${describe(v)}`);
  return items.map((x) => (typeof x === 'number' && Number.isSafeInteger(x) ? x : fail(`${what} must be integers, got ${describe(x)}`)));
};

function makeResolver(source: string): (module: string, name: string) => unknown {
  const fail = (m: string): never => {
    throw new PthError(`${source}: ${m}`);
  };
  const fn = (pickleName: string, call: (a: unknown[]) => unknown): PickleCallable => ({ pickleName, call });
  const rebuild = (a: unknown[]): PthTensorRef => {
    const [storage, offset, size, stride] = a;
    if (!(storage instanceof Storage)) return fail(`tensor rebuild got ${describe(storage)} instead of a storage`);
    if (typeof offset !== 'number') return fail(`tensor storage offset ${describe(offset)} is not an integer`);
    return new PthTensorRef(storage, offset, ints(size, 'tensor size', fail), ints(stride, 'tensor stride', fail));
  };
  const table: Record<string, unknown> = {
    'collections.OrderedDict': fn('collections.OrderedDict', (a) => {
      const d = new PickleDict('OrderedDict');
      if (Array.isArray(a[0])) for (const kv of a[0]) if (kv instanceof PickleTuple) d.map.set(kv.items[0], kv.items[1]);
      return d;
    }),
    'torch._utils._rebuild_tensor_v2': fn('torch._utils._rebuild_tensor_v2', rebuild),
    'torch._utils._rebuild_tensor': fn('torch._utils._rebuild_tensor', rebuild),
    'torch._utils._rebuild_parameter': fn('torch._utils._rebuild_parameter', (a) => a[0]),
    'torch._utils._rebuild_parameter_with_state': fn('torch._utils._rebuild_parameter_with_state', (a) => a[0]),
    'torch._tensor._rebuild_from_type_v2': fn('torch._tensor._rebuild_from_type_v2', (a) => {
      const [f, , args] = a;
      if (!(f && typeof (f as PickleCallable).call === 'function')) return fail(`_rebuild_from_type_v2 with unsupported function ${describe(f)}`);
      return (f as PickleCallable).call(args instanceof PickleTuple ? args.items : []);
    }),
    // Protocol 2 pickles bytes as _codecs.encode(text, 'latin1').
    '_codecs.encode': fn('_codecs.encode', (a) => Uint8Array.from(String(a[0]), (c) => c.charCodeAt(0) & 0xff)),
  };
  for (const [k, [dt, size]] of Object.entries(STORAGES)) table[`torch.${k}`] = new StorageType(dt, size);
  return (module, name) => table[`${module}.${name}`];
}

function storageLoader(source: string, storages: Map<string, Storage>): (pid: unknown) => Storage {
  const fail = (m: string): never => {
    throw new PthError(`${source}: ${m}`);
  };
  return (pid) => {
    if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage') return fail(`unsupported persistent id ${describe(pid)} (only storages are expected)`);
    const [, type, key, , numel, view] = pid.items;
    if (!(type instanceof StorageType)) return fail(`storage type ${describe(type)} is not supported (float, double, half, bfloat16, long, int, short, char, byte, bool)`);
    if (typeof key !== 'string' || typeof numel !== 'number') return fail(`malformed storage id ${describe(pid)}`);
    if (view !== undefined && view !== null) return fail(`storage '${key}' is a legacy storage view, which is not supported`);
    let s = storages.get(key);
    if (!s) storages.set(key, (s = new Storage(key, type, numel)));
    else if (s.type !== type) return fail(`storage '${key}' is used with two dtypes`);
    return s;
  };
}

/** Decodes a checkpoint into its object tree (dicts, lists, numbers, `PthTensorRef`s, placeholders). */
export function readPth(bytes: Uint8Array, source = '<bytes>'): unknown {
  const storages = new Map<string, Storage>();
  const opts = { source, resolveGlobal: makeResolver(source), persistentLoad: storageLoader(source, storages) };
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof PickleError) throw new PthError(e.message);
      throw e;
    }
  };
  if (isZip(bytes)) {
    const entries = readZip(bytes, source);
    const pkl = entries.find((e) => /^[^/]+\/data\.pkl$/.test(e.name) || e.name === 'data.pkl');
    if (!pkl) throw new PthError(`${source}: ZIP archive without a data.pkl entry (not a torch.save checkpoint; entries: ${entries.slice(0, 5).map((e) => e.name).join(', ')}…)`);
    const prefix = pkl.name.slice(0, -'data.pkl'.length);
    const order = entries.find((e) => e.name === `${prefix}byteorder`);
    if (order && new TextDecoder().decode(order.data).trim() !== 'little') throw new PthError(`${source}: big-endian checkpoints are not supported`);
    const value = wrap(() => unpickle(pkl.data, opts).value);
    const byName = new Map(entries.map((e) => [e.name, e.data]));
    for (const s of storages.values()) {
      const data = byName.get(`${prefix}data/${s.key}`);
      if (!data) throw new PthError(`${source}: storage '${s.key}' (${prefix}data/${s.key}) is missing from the archive`);
      s.bytes = data;
    }
    return value;
  }
  if (bytes.length > 0 && bytes[0] === 0x80) return wrap(() => readLegacy(bytes, source, opts, storages));
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new PthError(`${source}: the tar-based checkpoint format of PyTorch < 0.4 is not supported (re-save it with a newer PyTorch)`);
  }
  throw new PthError(`${source}: not a PyTorch checkpoint (neither a ZIP archive nor a legacy pickle stream)`);
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacy(bytes: Uint8Array, source: string, opts: Parameters<typeof unpickle>[1], storages: Map<string, Storage>): unknown {
  const plain = { source };
  const magic = unpickle(bytes, plain, 0);
  if (magic.value !== LEGACY_MAGIC) throw new PthError(`${source}: a pickle, but not a torch.save checkpoint (magic number ${String(magic.value)})`);
  const proto = unpickle(bytes, plain, magic.end);
  if (proto.value !== 1001) throw new PthError(`${source}: legacy checkpoint protocol ${String(proto.value)} (expected 1001)`);
  const info = unpickle(bytes, plain, proto.end);
  const sys = info.value instanceof PickleDict ? info.value.map : null;
  if (sys && sys.get('little_endian') === false) throw new PthError(`${source}: big-endian checkpoints are not supported`);
  const obj = unpickle(bytes, opts, info.end);
  const keys = unpickle(bytes, plain, obj.end);
  if (!Array.isArray(keys.value)) throw new PthError(`${source}: legacy storage-key list missing`);
  let p = keys.end;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys.value) {
    const s = storages.get(String(key));
    if (!s) throw new PthError(`${source}: storage '${String(key)}' listed but never used`);
    if (p + 8 > bytes.length) throw new PthError(`${source}: storage '${s.key}': file ends before its size (truncated?)`);
    const n = Number(dv.getBigInt64(p, true));
    if (n !== s.numel) throw new PthError(`${source}: storage '${s.key}' holds ${n} elements, the pickle says ${s.numel}`);
    const len = n * s.type.itemSize;
    if (p + 8 + len > bytes.length) throw new PthError(`${source}: storage '${s.key}' (${len} bytes) runs past the end of the file (truncated?)`);
    s.bytes = bytes.subarray(p + 8, p + 8 + len);
    p += 8 + len;
  }
  return obj.value;
}

export interface PthStateDict {
  tensors: Map<string, PthTensor>;
  /** Where the state dict sat in the file ('' = top level, else e.g. 'state_dict'). */
  path: string;
  /** Entries beside the tensors that are not tensors (epoch numbers, optimizer state, ...). */
  skipped: string[];
}

/** Keys under which training scripts commonly nest the weights. */
export const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'state_dict_ema'] as const;

/**
 * Finds the state dict in a checkpoint: the top level if it holds tensors, else the first of
 * WRAPPER_KEYS that is a dict. Nested dicts of tensors are flattened with dotted names (a file
 * of `{'vit': sd, 'classifier': sd}` becomes `vit.*`, `classifier.*`). A placeholder (a Python
 * object this reader does not know) where a tensor belongs is an error naming the key.
 */
export function pthStateDict(tree: unknown, source = '<bytes>'): PthStateDict {
  const fail = (m: string): never => {
    throw new PthError(`${source}: ${m}`);
  };
  if (!(tree instanceof PickleDict)) return fail(`expected a dict at the top level, found ${describe(tree)}`);
  let node = tree;
  let path = '';
  // A wrapper key wins even when tensors sit beside it (e.g. a `best_acc` tensor next to
  // 'state_dict'); a state dict itself never holds dicts, so this cannot misfire on one.
  for (;;) {
    const key = WRAPPER_KEYS.find((k) => node.map.get(k) instanceof PickleDict);
    if (!key) break;
    node = node.map.get(key) as PickleDict;
    path = path ? `${path}.${key}` : key;
  }
  const tensors = new Map<string, PthTensor>();
  const skipped: string[] = [];
  const walk = (d: PickleDict, prefix: string, depth: number): void => {
    for (const [k, v] of d.map) {
      const name = `${prefix}${String(k)}`;
      if (v instanceof PthTensorRef) tensors.set(name, v.materialize(name, source));
      else if (v instanceof PickleDict && depth < 4 && [...v.map.values()].every((x) => x instanceof PthTensorRef || x instanceof PickleDict)) walk(v, `${name}.`, depth + 1);
      else if (v instanceof PickleOpaque) {
        fail(`entry '${name}' is a Python object this reader does not decode (${v.name}); only plain tensors are supported`);
      } else skipped.push(`${name} (${describe(v)})`);
    }
  };
  walk(node, '', 0);
  if (!tensors.size) fail(`no tensors found${path ? ` under '${path}'` : ''} (top-level keys: ${[...tree.map.keys()].slice(0, 8).map(String).join(', ')})`);
  return { tensors, path, skipped };
}

/** Reads a checkpoint's state dict in one step. */
export function decodePthStateDict(bytes: Uint8Array, source = '<bytes>'): PthStateDict {
  return pthStateDict(readPth(bytes, source), source);
}

export interface PthWriteTensor {
  shape: readonly number[];
  /** float32 data, or integers written as int64 (BatchNorm counters, index buffers). */
  data: Float32Array | Int32Array | Uint32Array;
  dtype: 'float32' | 'int64';
}

/**
 * Encodes an OrderedDict of tensors as a torch.save ZIP checkpoint (pickle protocol 2, one
 * storage per tensor, contiguous). `archiveName` is the top folder inside the ZIP.
 */
export function encodePth(tensors: ReadonlyMap<string, PthWriteTensor>, archiveName = 'archive'): Uint8Array {
  const w = new PickleWriter().proto();
  w.global('collections', 'OrderedDict').emptyTuple().reduce();
  w.mark();
  const files: { name: string; data: Uint8Array }[] = [];
  let key = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new PthError(`encodePth: tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    let data: Uint8Array;
    if (t.dtype === 'float32') {
      const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
      data = new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength));
    } else {
      const b = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = t.data[i]!;
        if (!Number.isInteger(v)) throw new PthError(`encodePth: tensor '${name}' element ${i} = ${v} is not an integer (int64)`);
        b[i] = BigInt(v);
      }
      data = new Uint8Array(b.buffer);
    }
    const k = String(key++);
    files.push({ name: `${archiveName}/data/${k}`, data });
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    w.str(name);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.mark();
    w.mark().str('storage').global('torch', t.dtype === 'float32' ? 'FloatStorage' : 'LongStorage').str(k).str('cpu').int(n).tuple().binpersid();
    w.int(0);
    w.mark();
    for (const d of t.shape) w.int(d);
    w.tuple();
    w.mark();
    for (const s of stride) w.int(s);
    w.tuple();
    w.bool(false);
    w.global('collections', 'OrderedDict').emptyTuple().reduce();
    w.tuple().reduce();
  }
  w.setitems().stop();
  const enc = new TextEncoder();
  return writeZip([
    { name: `${archiveName}/data.pkl`, data: w.bytes() },
    { name: `${archiveName}/byteorder`, data: enc.encode('little') },
    ...files,
    { name: `${archiveName}/version`, data: enc.encode('3\n') },
  ]);
}
