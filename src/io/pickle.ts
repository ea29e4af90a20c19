/**
 * A restricted Python pickle reader (protocols 0–5, the opcodes that plain data and torch.save
 * produce). It never runs code from the file: a GLOBAL / STACK_GLOBAL only looks a name up in a
 * caller-supplied table, and every name outside that table becomes an inert `PickleOpaque`
 * placeholder — calling or building it records what was asked for and does nothing else. The
 * caller decides whether an opaque value where it needs data is an error (pth.ts: it is, inside
 * a state dict). Opcodes that only serve object-oriented pickles (INST, OBJ, EXT*) are refused.
 *
 * Values: None → null, bool, int → number (bigint beyond 2^53), float → number, str → string,
 * bytes → Uint8Array, list → Array, tuple → PickleTuple, dict → PickleDict (insertion order kept).
 */

export class PickleError extends Error {
  override name = 'PickleError';
}

export class PickleTuple {
  constructor(readonly items: unknown[]) {}
}

export class PickleDict {
  readonly map = new Map<unknown, unknown>();
  /** Attributes set by BUILD (e.g. a state dict's `_metadata`). */
  readonly attrs = new Map<string, unknown>();
  constructor(readonly kind: string = 'dict') {}
}

/** A name from the file that the reader does not know; inert. */
export class PickleOpaque {
  constructor(readonly name: string) {}
}

/** A callable the caller allows (e.g. torch._utils._rebuild_tensor_v2). */
export interface PickleCallable {
  readonly pickleName: string;
  call(args: unknown[]): unknown;
}

export function isCallable(v: unknown): v is PickleCallable {
  return typeof v === 'object' && v !== null && typeof (v as PickleCallable).call === 'function' && typeof (v as PickleCallable).pickleName === 'string';
}

export interface UnpickleOptions {
  /** Looks up `module.name`; undefined → an opaque placeholder. */
  resolveGlobal?: (module: string, name: string) => unknown;
  /** Resolves a persistent id (torch: storages). Required if the pickle uses one. */
  persistentLoad?: (pid: unknown) => unknown;
  source?: string;
}

const MARK = Symbol('mark');

/** Reads one pickle starting at `offset`; returns the value and the offset after STOP. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}, offset = 0): { value: unknown; end: number } {
  const source = opts.source ?? '<pickle>';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = offset;
  const fail = (msg: string): never => {
    throw new PickleError(`${source}: pickle byte ${p}: ${msg}`);
  };
  const need = (n: number): void => {
    if (p + n > bytes.length) fail(`needs ${n} more bytes, file ends (truncated?)`);
  };
  const u8 = (): number => (need(1), bytes[p++]!);
  const u16 = (): number => (need(2), (p += 2), dv.getUint16(p - 2, true));
  const i32 = (): number => (need(4), (p += 4), dv.getInt32(p - 4, true));
  const u32 = (): number => (need(4), (p += 4), dv.getUint32(p - 4, true));
  const u64 = (): number => {
    need(8);
    const v = dv.getUint32(p, true) + dv.getUint32(p + 4, true) * 2 ** 32;
    p += 8;
    if (!Number.isSafeInteger(v)) fail('64-bit length too large');
    return v;
  };
  const take = (n: number): Uint8Array => (need(n), (p += n), bytes.subarray(p - n, p));
  const line = (): string => {
    const e = bytes.indexOf(0x0a, p);
    if (e < 0) fail('unterminated text line');
    const s = new TextDecoder('latin1').decode(bytes.subarray(p, e));
    p = e + 1;
    return s;
  };
  const utf8 = (b: Uint8Array): string => new TextDecoder('utf-8').decode(b);
  const pop = (): unknown => {
    if (!stack.length) fail('stack underflow');
    const v = stack.pop();
    if (v === MARK) fail('unexpected MARK');
    return v;
  };
  const top = (): unknown => (stack.length ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const longFrom = (b: Uint8Array): number | bigint => {
    if (!b.length) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const global = (module: string, name: string): unknown => {
    const v = opts.resolveGlobal?.(module, name);
    return v === undefined ? new PickleOpaque(`${module}.${name}`) : v;
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    if (fn instanceof PickleOpaque) return new PickleOpaque(`${fn.name}(...)`);
    if (isCallable(fn)) return fn.call(args);
    return fail(`cannot call ${describe(fn)}`);
  };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (d instanceof PickleDict) d.map.set(k, v);
    else if (!(d instanceof PickleOpaque)) fail(`SETITEM on ${describe(d)}`);
  };
  const append = (l: unknown, v: unknown): void => {
    if (Array.isArray(l)) l.push(v);
    else if (!(l instanceof PickleOpaque)) fail(`APPEND on ${describe(l)}`);
  };

  for (;;) {
    const at = p;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} is newer than 5`);
        break;
      }
      case 0x95: u64(); break; // FRAME (length only; frames are contiguous here)
      case 0x2e: // STOP
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: p };
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x49: { // INT (text; also True/False as 01/00)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, fail));
        break;
      }
      case 0x4c: stack.push(parseIntText(line().replace(/L$/, ''), fail)); break; // LONG (text)
      case 0x8a: stack.push(longFrom(take(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(longFrom(take(n)));
        break;
      }
      case 0x47: { // BINFLOAT (big-endian double)
        need(8);
        stack.push(dv.getFloat64(p, false));
        p += 8;
        break;
      }
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT
      case 0x58: stack.push(utf8(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(utf8(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII names in practice)
      case 0x54: stack.push(new TextDecoder('latin1').decode(take(i32()))); break; // BINSTRING
      case 0x55: stack.push(new TextDecoder('latin1').decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x53: stack.push(line().replace(/^(['"])(.*)\1$/, '$2')); break; // STRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x7d: stack.push(new PickleDict()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET (as a list)
      case 0x28: stack.push(MARK); break; // MARK
      case 0x74: stack.push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PickleTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(new PickleTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(new PickleTuple([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x91: stack.push(popMark()); break; // FROZENSET (as a list)
      case 0x64: { // DICT
        const items = popMark();
        const d = new PickleDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.map.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x61: { const v = pop(); append(top(), v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); for (const v of items) append(l, v); break; } // APPENDS
      case 0x90: { const items = popMark(); const l = top(); for (const v of items) append(l, v); break; } // ADDITEMS
      case 0x73: { const v = pop(), k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x70: memo.set(parseIntText(line(), fail) as number, top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET, BINGET, LONG_BINGET
        const k = op === 0x67 ? (parseIntText(line(), fail) as number) : op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop(), fn = pop();
        if (!(args instanceof PickleTuple)) fail(`REDUCE arguments must be a tuple, got ${describe(args)}`);
        stack.push(call(fn, (args as PickleTuple).items));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop(), cls = pop();
        if (!(args instanceof PickleTuple)) fail('NEWOBJ arguments must be a tuple');
        stack.push(call(cls, (args as PickleTuple).items));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PickleDict && state instanceof PickleDict) {
          for (const [k, v] of state.map) obj.attrs.set(String(k), v);
        } else if (obj instanceof PickleDict && state instanceof PickleTuple) {
          // (dict state, slot state)
          for (const s of state.items) if (s instanceof PickleDict) for (const [k, v] of s.map) obj.attrs.set(String(k), v);
        }
        // Anything else (opaque objects, tensors with Python attributes): the state is ignored.
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x50: stack.push(persistent(line())); break; // PERSID
      default:
        p = at;
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}) is not supported by this restricted reader`);
    }
  }

  function persistent(pid: unknown): unknown {
    if (!opts.persistentLoad) return fail('persistent id without a loader (not a torch file?)');
    return opts.persistentLoad(pid);
  }
}

function parseIntText(s: string, fail: (m: string) => never): number | bigint {
  if (!/^[+-]?\d+$/.test(s.trim())) fail(`bad integer text '${s}'`);
  const b = BigInt(s.trim());
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** Short description of a pickle value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PickleOpaque) return `<${v.name}>`;
  if (v instanceof PickleTuple) return `tuple(${v.items.length})`;
  if (v instanceof PickleDict) return `${v.kind}(${v.map.size} entries)`;
  if (Array.isArray(v)) return `list(${v.length})`;
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  if (isCallable(v)) return `<${v.pickleName}>`;
  return typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : `${typeof v} ${String(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Writing: just what a state dict needs (protocol 2).

/** Builds a protocol-2 pickle opcode by opcode. */
export class PickleWriter {
  private chunks: Uint8Array[] = [];
  private enc = new TextEncoder();

  op(...b: number[]): this {
    this.chunks.push(Uint8Array.from(b));
    return this;
  }
  raw(b: Uint8Array): this {
    this.chunks.push(b);
    return this;
  }
  proto(): this {
    return this.op(0x80, 2);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(this.enc.encode(`${module}\n${name}\n`));
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    const h = new DataView(new ArrayBuffer(4));
    h.setUint32(0, b.length, true);
    return this.op(0x58).raw(new Uint8Array(h.buffer)).raw(b);
  }
  int(n: number): this {
    if (!Number.isSafeInteger(n)) throw new PickleError(`cannot write integer ${n}`);
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const h = new DataView(new ArrayBuffer(4));
      h.setInt32(0, n, true);
      return this.op(0x4a).raw(new Uint8Array(h.buffer));
    }
    const h = new DataView(new ArrayBuffer(8));
    h.setBigInt64(0, BigInt(n), true);
    return this.op(0x8a, 8).raw(new Uint8Array(h.buffer));
  }
  bool(b: boolean): this {
    return this.op(b ? 0x88 : 0x89);
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  binpersid(): this {
    return this.op(0x51);
  }
  setitems(): this {
    return this.op(0x75);
  }
  stop(): this {
    return this.op(0x2e);
  }
  bytes(): Uint8Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) out.set(c, (o += c.length) - c.length);
    return out;
  }
}
