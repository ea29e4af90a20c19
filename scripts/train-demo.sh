#!/usr/bin/env bash
# Set-up, then trains ARBEx-tiny on the built-in synthetic faces and writes the report
# (runs/tiny/report.md). Extra arguments go to `arbex train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node bin/arbex.mjs train --config tiny --out runs/tiny "$@"
