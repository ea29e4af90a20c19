// Worker entry: worker threads do not inherit tsx's loader, so register it here (as bin/arbex.mjs
// does) and load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./fuzz-worker.ts');
