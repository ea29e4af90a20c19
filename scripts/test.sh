#!/usr/bin/env bash
# Set-up, then the whole test suite (typecheck + vitest, including headless Chromium).
#
# The suite runs on an empty Mesa shader cache of its own (a fresh MESA_SHADER_CACHE_DIR), so a
# green run means a newcomer's first run passes too: a warm cache (~/.cache/mesa_shader_cache)
# hides most of the time a software adapter spends compiling kernels. ARBEX_SHADER_CACHE=DIR
# reuses DIR instead (e.g. to iterate quickly on a warm cache).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${ARBEX_SHADER_CACHE:-}" ]; then
  export MESA_SHADER_CACHE_DIR="$ARBEX_SHADER_CACHE"
else
  MESA_SHADER_CACHE_DIR=$(mktemp -d -t arbex-shader-cache.XXXXXX)
  export MESA_SHADER_CACHE_DIR
  trap 'rm -rf "$MESA_SHADER_CACHE_DIR"' EXIT
fi
echo "test: shader cache $MESA_SHADER_CACHE_DIR"
npx tsc --noEmit -p .
npx vitest run "$@"
