/** Test setup: one Dawn-backed engine per test process. */
import { initNodeEngine } from '../../src/runtime/device-node.js';
import type { Runtime } from '../../src/runtime/runtime.js';

export function engine(): Promise<Runtime> {
  return initNodeEngine();
}
