#!/usr/bin/env bash
# Fills .gpu-carry/ (git-ignored) with everything the lent GPU machine lacks, for
# scripts/device-run.sh (see /work/shared/device/README.md):
#   node.xz                         this machine's node binary, xz-compressed
#   node_modules/webgpu/            Dawn for Node (index.js, package.json, linux-x64 dawn.node);
#                                   next to bench.mjs so its `import('webgpu')` resolves
#                                   without copying anything into the repo's node_modules
#   libvulkan1_*.deb                the Vulkan loader package (apt-get download, temp lists dir)
#   vulkan/libvulkan.so.1           the loader unpacked from it, used via LD_LIBRARY_PATH so the
#                                   GPU machine needs neither dpkg nor root
#   bench.mjs                       esbuild bundle of kernels-bench/device-check.ts
#   MANIFEST                        versions and sizes
# Idempotent: node.xz is rebuilt only when the node binary changes (it takes about a minute).
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
rm -rf "$dst" "$carry/webgpu"
mkdir -p "$dst/dist/linux-x64"
cp "$src/index.js" "$src/package.json" "$dst/"
cp "$src/dist/linux-x64/dawn.node" "$dst/dist/linux-x64/"

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

# 4. The device check, bundled: the shaders are embedded first so the bundle has current WGSL.
node scripts/embed-shaders.mjs >/dev/null
npx --no-install esbuild kernels-bench/device-check.ts --bundle --platform=node --format=esm \
  --target=node20 --external:webgpu --outfile="$carry/bench.mjs" --log-level=warning

# 5. Manifest and size check.
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
