#!/usr/bin/env bash
# All set-up a fresh machine needs (idempotent): system packages, npm dependencies, the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
# Embeds shaders/*.wgsl and compiles src/ to dist/ (what bin/arbex.mjs and the package run).
npm run build --silent
