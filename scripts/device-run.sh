#!/usr/bin/env bash
# Runs on the lent GPU machine (device tool, carry: [".gpu-carry"]), from the repo root:
#   bash scripts/device-run.sh
# Unpacks the node binary from .gpu-carry (made by scripts/prepare-gpu-carry.sh), puts the
# carried Vulkan loader on LD_LIBRARY_PATH, points the loader at NVIDIA's ICD and runs the
# bundled device check, which writes $OUT/device-check.json. Nothing is installed system-wide.
# Env passed through: DEVICE_CHECK_SIZES, DEVICE_CHECK_SECONDS, DAWN_FLAGS (see
# kernels-bench/device-check.ts); DEVICE_CHECK_TIMEOUT (seconds, default 420).
set -uo pipefail

cd "$(dirname "$0")/.."
carry=$PWD/.gpu-carry
out=${OUT:-$PWD/out}
mkdir -p "$out"
if [ ! -f "$carry/bench.mjs" ] || [ ! -f "$carry/node.xz" ]; then
  echo "device-run: .gpu-carry is incomplete: run scripts/prepare-gpu-carry.sh here and pass carry: ['.gpu-carry']" >&2
  exit 2
fi

echo "== machine"
uname -srm
ldd --version 2>/dev/null | head -n 1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# Node: xz if present, else Python's lzma.
bin=$(mktemp -d)
if command -v xz >/dev/null; then
  xz -dc "$carry/node.xz" > "$bin/node"
else
  python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$carry/node.xz" "$bin/node"
fi
chmod +x "$bin/node"
export PATH="$bin:$PATH"
echo "node $(node --version)" || { echo "device-run: the carried node does not start here" >&2; exit 2; }

# Vulkan: the carried loader, and NVIDIA's ICD wherever this image keeps it.
export LD_LIBRARY_PATH="$carry/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
icd=${VK_DRIVER_FILES:-}
if [ -z "$icd" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
           /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then icd=$f; break; fi
  done
fi
if [ -n "$icd" ]; then
  export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd  # the second for loaders older than 1.3.207
  echo "VK_DRIVER_FILES=$icd"
  cat "$icd"
else
  echo "device-run: no nvidia_icd.json found; ICD files present:" >&2
  find / -xdev -name '*icd*.json' -path '*vulkan*' 2>/dev/null | head -n 20 >&2
fi

echo "== device check"
timeout "${DEVICE_CHECK_TIMEOUT:-420}" node "$carry/bench.mjs" 2>&1 | tee "$out/device-check.log"
rc=${PIPESTATUS[0]}
echo "device-run: exit $rc; results in $out/device-check.json"
exit "$rc"
