#!/usr/bin/env bash
# Runs on the lent GPU machine (device tool, carry: [".gpu-carry"]), from the repo root:
#   bash scripts/device-run.sh
# The machine: x86-64 Linux, one NVIDIA GPU with its driver and the driver's Vulkan ICD; no
# Node.js, no Vulkan loader, no network (see scripts/prepare-gpu-carry.sh for what is carried).
# Unpacks node, Dawn (and onnxruntime's library when carried) from .gpu-carry into a temp dir /
# in place, puts the carried Vulkan loader on LD_LIBRARY_PATH, points it at NVIDIA's ICD and runs
# the bundled device check (kernels-bench/device-check.ts): adapter and limits, correctness spot
# checks of every kernel variant (matmul, conv fwd/dX/dW, attention fwd/bwd, layernorm) against
# float64 references, matmul GFLOP/s, the kernel bench of every variant and the tuner's pick vs
# tfjs-webgpu / onnxruntime-webgpu on the same adapter, and ARBEx-full training steps at batch 32
# (time and peak memory). Writes $OUT/device-check.json and $OUT/device-check.log and prints the
# tables last. Nothing is installed system-wide. The tuner's cache goes to $OUT/tuner-cache so the
# measured per-adapter winners come back too.
# Env passed through: DEVICE_CHECK_SIZES, DEVICE_CHECK_SECONDS, DEVICE_CHECK_PARTS,
# DEVICE_CHECK_ROUNDS, DEVICE_CHECK_FILTER, DEVICE_CHECK_TRAIN, DEVICE_FP32_PEAK_GFLOPS, DAWN_FLAGS
# (see kernels-bench/device-check.ts); DEVICE_CHECK_TIMEOUT (seconds, default 480).
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
# Dawn and onnxruntime's library were carried compressed; unpack next to where they load from.
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
for f in "$carry"/node_modules/webgpu/dist/linux-x64/dawn.node.xz "$carry"/node_modules/onnxruntime-node/bin/napi-v*/linux/x64/libonnxruntime.so.1.xz; do
  [ -f "$f" ] && { [ -s "${f%.xz}" ] || unxz_to "$f" "${f%.xz}"; }
done
export ARBEX_CACHE_DIR="$out/tuner-cache"
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
timeout "${DEVICE_CHECK_TIMEOUT:-480}" node "$carry/bench.mjs" 2>&1 | tee "$out/device-check.log"
rc=${PIPESTATUS[0]}
echo "device-run: exit $rc; results in $out/device-check.json"
exit "$rc"
