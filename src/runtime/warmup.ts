/**
 * Running a pipeline once on one workgroup, with zeroed uniforms and placeholder buffers, to make
 * it ready before real work needs it. Software adapters (lavapipe/llvmpipe) JIT-compile a compute
 * pipeline at its first dispatch, not at creation — seconds for a large kernel — and keep the
 * result in Mesa's on-disk shader cache. So a warm-up on a second device compiles in parallel
 * with the main one and seeds that cache; the main device then loads instead of compiling.
 */
import { computeStage } from './specialise.js';

/** What a warm-up needs to know of a pipeline (see Runtime.trace). */
export interface WarmSpec {
  key: string;
  op: string;
  shader: string;
  entry: string;
  constants?: Record<string, number>;
  /** Byte length of the uniform block (0: none). */
  paramBytes: number;
  /** Which of @binding(1), @binding(2), ... the real dispatch binds. */
  slots: boolean[];
}

const STORAGE = 0x80 | 0x4 | 0x8;
const UNIFORM = 0x40 | 0x8;
const SLOT_BYTES = 1024;

export class PipelineWarmer {
  private slots: GPUBuffer[] = [];
  private uniforms: GPUBuffer | null = null;
  private modules = new Map<string, GPUShaderModule>();

  constructor(readonly device: GPUDevice) {}

  /** Creates the pipeline on this warmer's device (for a device that is not the runtime's). */
  async create(spec: WarmSpec): Promise<GPUComputePipeline> {
    const compute = computeStage(this.device, this.modules, spec);
    return this.device.createComputePipelineAsync({ label: `warm-up ${spec.key}`, layout: 'auto', compute });
  }

  /** Dispatches `pipeline` once on one workgroup and waits for it. */
  async runOnce(pipeline: GPUComputePipeline, spec: WarmSpec): Promise<void> {
    const entries: GPUBindGroupEntry[] = [];
    if (spec.paramBytes > 0) {
      const size = Math.ceil(spec.paramBytes / 256) * 256;
      if (!this.uniforms || this.uniforms.size < size) {
        this.uniforms?.destroy();
        this.uniforms = this.device.createBuffer({ size, usage: UNIFORM, label: 'warm-up uniforms' });
      }
      entries.push({ binding: 0, resource: { buffer: this.uniforms, offset: 0, size } });
    }
    spec.slots.forEach((used, i) => {
      if (!used) return;
      // One buffer per binding: a buffer bound twice, once writable, is a validation error.
      const buffer = (this.slots[i] ??= this.device.createBuffer({ size: SLOT_BYTES, usage: STORAGE, label: `warm-up slot ${i}` }));
      entries.push({ binding: i + 1, resource: { buffer } });
    });
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(1);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
    await this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    for (const b of this.slots) b?.destroy();
    this.uniforms?.destroy();
    this.slots = [];
    this.uniforms = null;
  }
}
