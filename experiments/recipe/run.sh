#!/usr/bin/env bash
# One recipe measurement: runs `arbex train` niced with the given flags into runs/recipe/<name>,
# then appends one JSON line (exact command, wall time, images seen, per-epoch validation
# accuracy, clean test accuracy / macro-F1, images/s) to experiments/results/recipe-runs.jsonl.
# Usage: bash experiments/recipe/run.sh NAME [arbex train flags ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1; shift
out=runs/recipe/$name
rm -rf "$out"; mkdir -p runs/recipe
cmd=(node bin/arbex.mjs train --config tiny --out "$out" --quiet "$@")
t0=$(date +%s.%N)
nice -n 10 "${cmd[@]}" > "$out.log" 2>&1 || { echo "FAILED $name (see $out.log)"; exit 1; }
t1=$(date +%s.%N)
node -e '
const fs = require("fs");
const [name, out, wall, load, ...cmd] = process.argv.slice(1);
const r = JSON.parse(fs.readFileSync(out + "/result.json", "utf8"));
const st = JSON.parse(fs.readFileSync(out + "/last.json", "utf8"));
const o = st.state?.options ?? {};
const row = {
  name, date: new Date().toISOString(), command: cmd.join(" "),
  imagesSeen: (st.state?.step ?? 0) * (o.batchSize ?? 0),
  epochs: r.history.length,
  valAcc: r.history.map((h) => +(h.valAcc * 100).toFixed(1)),
  trainAcc: r.history.map((h) => +(h.trainAcc * 100).toFixed(1)),
  cleanTestAcc: +(r.test.cleanAccuracy * 100).toFixed(2), cleanMacroF1: +(r.cleanMacroF1 * 100).toFixed(2),
  wallSeconds: +(+wall).toFixed(0), trainSeconds: +r.seconds.toFixed(0), imagesPerSecond: +r.imagesPerSecond.toFixed(1),
  loadAvgAtEnd: load, sharedMachine: true,
};
fs.appendFileSync("experiments/results/recipe-runs.jsonl", JSON.stringify(row) + "\n");
console.log(JSON.stringify(row));
' "$name" "$out" "$(echo "$t1 - $t0" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${cmd[@]}"
