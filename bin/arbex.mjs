#!/usr/bin/env node
// The `arbex` command: runs the TypeScript CLI through tsx's loader (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Dawn keeps native handles alive; exit explicitly once output is flushed.
process.stdout.write('', () => process.exit(code));
