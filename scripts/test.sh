#!/usr/bin/env bash
# Set-up, then the whole test suite (typecheck + vitest, including headless Chromium).
#
# The suite runs on an EMPTY Mesa shader cache of its own by default (a fresh
# MESA_SHADER_CACHE_DIR, removed at exit), as a newcomer's first run sees it: a software adapter
# (lavapipe) JIT-compiles every kernel on first use, and a warm cache (~/.cache/mesa_shader_cache)
# would hide that time — so a green run here means a fresh machine passes too.
# ARBEX_SHADER_CACHE=DIR uses (and keeps) DIR as the cache instead, e.g. to rerun warm.
# ARBEX_TEST_PROFILE=FILE appends one JSON line per test: wall and CPU time, pipelines compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -n "${ARBEX_SHADER_CACHE:-}" ]; then
  mkdir -p "$ARBEX_SHADER_CACHE"
  export MESA_SHADER_CACHE_DIR="$ARBEX_SHADER_CACHE"
  echo "test: shader cache $MESA_SHADER_CACHE_DIR (ARBEX_SHADER_CACHE, kept)"
else
  MESA_SHADER_CACHE_DIR=$(mktemp -d -t arbex-shader-cache.XXXXXX)
  export MESA_SHADER_CACHE_DIR
  trap 'rm -rf "$MESA_SHADER_CACHE_DIR"' EXIT
  echo "test: empty shader cache $MESA_SHADER_CACHE_DIR (removed at exit; ARBEX_SHADER_CACHE=DIR reuses one)"
fi
npx tsc --noEmit -p .
npx vitest run "$@"
