// Prints experiments/results/recipe-runs.jsonl (written by experiments/recipe/run.sh) as a
// markdown table: recipe → images seen → validation accuracy per epoch → clean test accuracy /
// macro-F1 → wall time and images/s (shared machine: both inflated).
import { readFileSync } from 'node:fs';

const rows = readFileSync(new URL('../results/recipe-runs.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
console.log('| run | flags (after `arbex train --config tiny --quiet`) | images seen | val acc per epoch (%) | clean test acc (%) | clean macro-F1 (%) | wall (s) | img/s |');
console.log('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const flags = r.command.replace(/^.*--quiet\s*/, '');
  console.log(`| ${r.name} | \`${flags}\` | ${r.imagesSeen} | ${r.valAcc.join(' → ')} | ${r.cleanTestAcc} | ${r.cleanMacroF1} | ${r.wallSeconds} | ${r.imagesPerSecond} |`);
}
