#!/usr/bin/env bash
# Set-up, then the whole test suite (typecheck + vitest, including headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npx vitest run "$@"
