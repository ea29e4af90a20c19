#!/usr/bin/env bash
# Everything a fresh machine needs, then the whole test suite (typecheck + vitest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
node scripts/embed-shaders.mjs
npx tsc --noEmit -p .
npx vitest run "$@"
