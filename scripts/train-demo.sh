#!/usr/bin/env bash
# Everything a fresh machine needs, then trains ARBEx-tiny on the built-in synthetic faces and
# writes the report (runs/tiny/report.md). Extra arguments go to `arbex train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
node scripts/embed-shaders.mjs
node bin/arbex.mjs train --config tiny --out runs/tiny "$@"
