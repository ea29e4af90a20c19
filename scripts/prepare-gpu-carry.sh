#!/usr/bin/env bash
# Fills .gpu-carry/ (git-ignored) with everything the lent GPU machine lacks, for
# scripts/device-run.sh (see /work/shared/device/README.md).
#
# The machine: x86-64 Linux with one NVIDIA GPU and its driver, including the driver's Vulkan ICD
# (nvidia_icd.json + libGLX_nvidia), but no Node.js, no Vulkan loader and no network. The engine
# reaches the GPU the way it reaches lavapipe here: Dawn (npm `webgpu`) over Vulkan. So we carry
# the runtime (node), Dawn, the Vulkan loader, and one bundled script with the engine, its kernels
# (WGSL embedded), the float64 references for the spot checks, the bench cases and tfjs-webgpu;
# onnxruntime-node (its WebGPU EP has its own Dawn) goes along only while the carry stays under
# the device tool's 64 MiB. The same checkout's files travel too, but only .gpu-carry is used.
#
#   node.xz                         this machine's node binary, xz-compressed
#   node_modules/webgpu/            Dawn for Node (index.js, package.json; dist/linux-x64/dawn.node.xz,
#                                   unpacked by device-run.sh); next to bench.mjs so its
#                                   `import('webgpu')` resolves without touching the repo's node_modules
#   node_modules/onnxruntime-node/  optional peer (dist/, package.json, bin/napi-v6/linux/x64/ with
#   node_modules/onnxruntime-common/ libonnxruntime.so.1.xz), dropped if the carry would not fit
#   libvulkan1_*.deb                the Vulkan loader package (apt-get download, temp lists dir)
#   vulkan/libvulkan.so.1           the loader unpacked from it, used via LD_LIBRARY_PATH so the
#                                   GPU machine needs neither dpkg nor root
#   vulkan/libGL*.so.*, libEGL.so.1 glvnd, which NVIDIA's ICD library links against
#   bench.mjs                       esbuild bundle of kernels-bench/device-check.ts (checks of every
#                                   kernel variant, matmul GFLOP/s, kernel bench of every variant vs
#                                   tfjs-webgpu/onnxruntime-webgpu, ARBEx-full training step)
#   MANIFEST                        versions and sizes
# Idempotent: the .xz files are rebuilt only when their source changes (xz takes minutes here).
# Fails if the tree would exceed the 64 MiB the device tool carries.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
carry=$root/.gpu-carry
limit=$((64 * 1024 * 1024))
arch=$(uname -m)
[ "$arch" = x86_64 ] || { echo "prepare-gpu-carry: the GPU machine is x86-64; this machine is $arch" >&2; exit 1; }
mkdir -p "$carry"

# 1. Node, compressed (the binary itself is ~95 MB).
node_bin=$(readlink -f "$(command -v node)")
node_id="$(node --version) $(stat -c '%s %Y' "$node_bin")"
if [ ! -s "$carry/node.xz" ] || [ "$(cat "$carry/node.id" 2>/dev/null)" != "$node_id" ]; then
  echo "prepare-gpu-carry: compressing $node_bin ($(node --version)); about a minute"
  xz -T2 -6 -c "$node_bin" > "$carry/node.xz.tmp"
  mv "$carry/node.xz.tmp" "$carry/node.xz"
  echo "$node_id" > "$carry/node.id"
else
  echo "prepare-gpu-carry: node.xz up to date"
fi

# 2. Dawn for Node: only the files index.js loads on linux-x64.
src=$root/node_modules/webgpu
[ -f "$src/dist/linux-x64/dawn.node" ] || { echo "prepare-gpu-carry: $src/dist/linux-x64/dawn.node missing (npm ci first)" >&2; exit 1; }
dst=$carry/node_modules/webgpu
# xz of $1 to $2 unless $2 is newer (the sources only change with npm ci).
xz_if_stale() {
  if [ ! -s "$2" ] || [ "$1" -nt "$2" ]; then
    echo "prepare-gpu-carry: compressing $(basename "$1") ($(du -h "$1" | cut -f1)); a minute or more"
    xz -T2 -6 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"
  fi
}
mkdir -p "$dst/dist/linux-x64"
rm -f "$dst/dist/linux-x64/dawn.node" && rm -rf "$carry/webgpu"
cp "$src/index.js" "$src/package.json" "$dst/"
xz_if_stale "$src/dist/linux-x64/dawn.node" "$dst/dist/linux-x64/dawn.node.xz"

# 3. The Vulkan loader. apt-get download with a private lists dir leaves the system's apt state
#    alone; without network, fall back to apt's package cache.
rm -f "$carry"/libvulkan1_*.deb
lists=$(mktemp -d)
trap 'rm -rf "$lists"' EXIT
mkdir -p "$lists/partial"
apt_o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
if apt-get "${apt_o[@]}" -qq update >/dev/null 2>&1 && (cd "$carry" && apt-get "${apt_o[@]}" -qq download libvulkan1:amd64 >/dev/null 2>&1); then
  echo "prepare-gpu-carry: downloaded $(basename "$carry"/libvulkan1_*.deb)"
else
  cached=$(ls -1 /var/cache/apt/archives/libvulkan1_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$cached" ] || { echo "prepare-gpu-carry: could not download libvulkan1 and none is in /var/cache/apt/archives" >&2; exit 1; }
  cp "$cached" "$carry/"
  echo "prepare-gpu-carry: apt-get download failed; using cached $(basename "$cached")"
fi
deb=$(ls -1 "$carry"/libvulkan1_*.deb | head -n 1)
unpack=$(mktemp -d "$lists/deb.XXXX")
dpkg-deb -x "$deb" "$unpack"
rm -rf "$carry/vulkan"
mkdir -p "$carry/vulkan"
# A plain file, not the package's symlink chain: the carry may not keep links.
cp -L "$unpack"/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$carry/vulkan/libvulkan.so.1"
[ -e "$carry/vulkan/libvulkan.so.1" ] || { echo "prepare-gpu-carry: $deb has no libvulkan.so.1" >&2; exit 1; }
# NVIDIA's Vulkan ICD links against glvnd (libGLX_nvidia needs libGLdispatch, libGLX, libEGL),
# which a driver-only image may lack: carry this machine's copies (plain files, same dir).
for lib in libGLdispatch.so.0 libGLX.so.0 libEGL.so.1; do
  if [ -e "/usr/lib/x86_64-linux-gnu/$lib" ]; then cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$carry/vulkan/$lib"
  else echo "prepare-gpu-carry: warning: /usr/lib/x86_64-linux-gnu/$lib not here (apt-get install libglvnd0 libglx0 libegl1); not carried"; fi
done

# 4. The device check, bundled: the shaders are embedded first so the bundle has current WGSL.
#    tfjs-core and tfjs-backend-webgpu are pure JS and go into the bundle; onnxruntime-node is
#    loaded with require() at run time (native binding), from .gpu-carry/node_modules.
node scripts/embed-shaders.mjs >/dev/null
npx --no-install esbuild kernels-bench/device-check.ts --bundle --platform=node --format=esm \
  --target=node20 --external:webgpu --external:onnxruntime-node --outfile="$carry/bench.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"

# 5. onnxruntime-node (optional peer): JS, the binding and the compressed library.
ort=$root/node_modules/onnxruntime-node
ort_lib=$(ls -1 "$ort"/bin/napi-v*/linux/x64/libonnxruntime.so.1 2>/dev/null | head -n 1 || true)
if [ -n "$ort_lib" ] && [ "${CARRY_ORT:-1}" = 1 ]; then
  od=$carry/node_modules/onnxruntime-node
  napi=$(basename "$(dirname "$(dirname "$(dirname "$ort_lib")")")")
  mkdir -p "$od/bin/$napi/linux/x64" "$carry/node_modules/onnxruntime-common"
  cp -r "$ort/dist" "$ort/package.json" "$od/"
  cp "$ort/bin/$napi/linux/x64/onnxruntime_binding.node" "$od/bin/$napi/linux/x64/"
  xz_if_stale "$ort_lib" "$od/bin/$napi/linux/x64/libonnxruntime.so.1.xz"
  cp -r "$root/node_modules/onnxruntime-common/dist" "$root/node_modules/onnxruntime-common/package.json" "$carry/node_modules/onnxruntime-common/"
else
  rm -rf "$carry/node_modules/onnxruntime-node" "$carry/node_modules/onnxruntime-common"
fi

# 6. Manifest and size check (onnxruntime is dropped first if the carry is too big).
if [ "$(du -sb "$carry" | cut -f1)" -ge "$limit" ] && [ -d "$carry/node_modules/onnxruntime-node" ]; then
  echo "prepare-gpu-carry: over 64 MiB with onnxruntime-node; leaving it out (the bench reports it unavailable)"
  rm -rf "$carry/node_modules/onnxruntime-node" "$carry/node_modules/onnxruntime-common"
fi
{
  echo "prepared $(date -u +%FT%TZ) on $(uname -srm)"
  echo "node $(node --version) (glibc needed: see 'ldd --version' on the target; this machine: $(ldd --version | head -n 1))"
  echo "webgpu $(node -p "require('$src/package.json').version")"
  echo "libvulkan1 $(dpkg-deb -f "$deb" Version)"
  (cd "$carry" && find . -type f ! -name MANIFEST -printf '%s\t%p\n' | sort -k2)
} > "$carry/MANIFEST"
total=$(du -sb "$carry" | cut -f1)
echo "prepare-gpu-carry: .gpu-carry is $((total / 1024 / 1024)) MiB ($total bytes; limit 64 MiB)"
if [ "$total" -ge "$limit" ]; then
  echo "prepare-gpu-carry: too big for the device tool's 64 MiB carry" >&2
  exit 1
fi
echo "prepare-gpu-carry: done. On the GPU machine run: bash scripts/device-run.sh  (carry: ['.gpu-carry'])"
