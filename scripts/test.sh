#!/usr/bin/env bash
# Set-up, then the whole test suite (typecheck + vitest, including headless Chromium).
#
# ARBEX_FRESH_SHADER_CACHE=1 runs the suite on an empty Mesa shader cache of its own (a fresh
# MESA_SHADER_CACHE_DIR), as a newcomer's first run sees it: a software adapter compiles every
# kernel on first use and the warm cache (~/.cache/mesa_shader_cache) hides that time. Today a
# cold run takes far longer than a warm one (README, "Cold start: compiling kernels"), so it is
# not yet the default. ARBEX_SHADER_CACHE=DIR uses DIR as the cache.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${ARBEX_SHADER_CACHE:-}" ]; then
  export MESA_SHADER_CACHE_DIR="$ARBEX_SHADER_CACHE"
elif [ "${ARBEX_FRESH_SHADER_CACHE:-0}" = 1 ]; then
  MESA_SHADER_CACHE_DIR=$(mktemp -d -t arbex-shader-cache.XXXXXX)
  export MESA_SHADER_CACHE_DIR
  trap 'rm -rf "$MESA_SHADER_CACHE_DIR"' EXIT
fi
echo "test: shader cache ${MESA_SHADER_CACHE_DIR:-default (~/.cache/mesa_shader_cache)}"
npx tsc --noEmit -p .
npx vitest run "$@"
