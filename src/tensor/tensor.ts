/**
 * Tensor: a shape, a dtype and a reference to GPU storage. Always contiguous (row-major); movement
 * ops that cannot be expressed as a reshape copy. Reshapes share storage, so storage is
 * reference-counted and returns to the pool when its last tensor is disposed.
 */
import { runtime } from '../runtime/runtime.js';
import { GpuError } from '../runtime/errors.js';
import { type DType, type AnyTypedArray, typedArray, BYTES_PER_ELEMENT } from './dtype.js';
import { numel, type Shape } from './shape.js';
import { TENSOR_BRAND, track, untrack } from './scope.js';

/** How a tensor was made, for reverse-mode autograd (see src/autograd). */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Maps the gradient of the output to the gradients of the inputs (null: no gradient). */
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
}

class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer, readonly bytes: number) {}
}

let nextId = 1;
let liveTensors = 0;

/**
 * An n-dimensional array in GPU memory (f32, i32 or u32, row-major). Read it with `toArray()` /
 * `item()`; release it with `dispose()` or by creating it inside `tidy`.
 */
export class Tensor {
  readonly [TENSOR_BRAND] = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  /** Set by ops that record a graph; null for leaves and results computed without grad. */
  node: GradNode | null = null;
  /** Accumulated gradient of a leaf that requires grad, filled by `backward`. */
  grad: Tensor | null = null;
  requiresGrad = false;
  /** Optional name used in error messages (parameters get theirs from the module tree). */
  name: string | undefined;
  private storage: Storage | null;

  /** Prefer the creation functions (`zeros`, `tensor`, ...) over this constructor. */
  constructor(shape: Shape, readonly dtype: DType, storage?: Storage | 'upload') {
    this.shape = Object.freeze([...shape]);
    this.size = numel(shape);
    if (storage instanceof Storage) {
      storage.refs++;
      this.storage = storage;
    } else {
      const bytes = Math.max(this.size, 1) * BYTES_PER_ELEMENT;
      this.storage = new Storage(runtime().createBuffer(bytes, `tensor[${shape.join('x')}]`, storage === 'upload'), bytes);
    }
    liveTensors++;
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storage === null;
  }

  get buffer(): GPUBuffer {
    if (!this.storage) throw new GpuError(`tensor ${this.describe()} used after dispose()`);
    return this.storage.buffer;
  }

  /** A tensor of another shape over the same storage (same element count). */
  view(shape: Shape): Tensor {
    if (!this.storage) throw new GpuError(`tensor ${this.describe()} used after dispose()`);
    return new Tensor(shape, this.dtype, this.storage);
  }

  describe(): string {
    return `${this.name ? `'${this.name}' ` : ''}[${this.shape.join(', ')}] ${this.dtype}`;
  }

  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.node = null;
    liveTensors--;
    untrack(this);
    if (--s.refs === 0) runtime().releaseBuffer(s.buffer);
  }

  /** Copies the data to the host. */
  async toArray(): Promise<AnyTypedArray> {
    const buf = await runtime().read(this.buffer, this.size * BYTES_PER_ELEMENT);
    return typedArray(this.dtype, buf);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new GpuError(`item(): tensor ${this.describe()} has ${this.size} elements, expected 1`);
    return (await this.toArray())[0]!;
  }

  /** Marks this tensor as a leaf whose gradient backward() should compute. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  toString(): string {
    return `Tensor(${this.describe()})`;
  }
}

/** Tensors created and not yet disposed (for leak checks). */
export function liveTensorCount(): number {
  return liveTensors;
}
