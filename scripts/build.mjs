// `npm run build`: compiles src/ into dist/ without ever leaving a half-written dist/ in place.
// tsc writes into dist-next/, which then replaces dist/ by two renames. Why: bin/arbex.mjs runs
// dist/ whenever it is newer than src/, so a CLI started while tsc was still writing (the test
// suite packs the package — `prepack` builds — while other tests run the CLI) imported a
// dist/cli/main.js whose dist/cli/train.js did not exist yet.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (p) => path.join(root, p);
execFileSync(process.execPath, [at('scripts/embed-shaders.mjs')], { stdio: 'inherit' });
rmSync(at('dist-next'), { recursive: true, force: true });
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', at('tsconfig.build.json'), '--outDir', at('dist-next')], { stdio: 'inherit', cwd: root });
rmSync(at('dist-old'), { recursive: true, force: true });
if (existsSync(at('dist'))) renameSync(at('dist'), at('dist-old'));
renameSync(at('dist-next'), at('dist'));
rmSync(at('dist-old'), { recursive: true, force: true });
