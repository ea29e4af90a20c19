#!/usr/bin/env bash
# Idempotent system set-up for a machine without a GPU: Mesa lavapipe >= 23 (Dawn rejects
# Debian 12's stock 22.3) from bookworm-backports, the Vulkan loader, and Debian's chromium for
# the browser test. Runs only as root; otherwise it prints what to install and carries on.
set -euo pipefail

want_chromium=${ARBEX_SETUP_CHROMIUM:-1}

have_lavapipe() {
  local icd
  for icd in /usr/share/vulkan/icd.d/lvp_icd*.json; do
    [ -e "$icd" ] || continue
    local v
    v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
    dpkg --compare-versions "$v" ge 23 && return 0
  done
  return 1
}
have_chromium() { command -v chromium >/dev/null 2>&1; }

need=()
have_lavapipe || need+=(lavapipe)
if [ "$want_chromium" = 1 ] && ! have_chromium; then need+=(chromium); fi
[ ${#need[@]} -eq 0 ] && { echo "setup-system: lavapipe and chromium present"; exit 0; }

if [ "$(id -u)" != 0 ]; then
  echo "setup-system: not root; please install: Mesa >= 23 Vulkan drivers (Debian 12:" \
       "apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1) and chromium" >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [[ " ${need[*]} " == *" lavapipe "* ]]; then
  if grep -q bookworm /etc/os-release 2>/dev/null; then
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list
    fi
    apt-get update -qq
    apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    apt-get update -qq
    apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >/dev/null
  fi
fi
if [[ " ${need[*]} " == *" chromium "* ]]; then
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
echo "setup-system: installed ${need[*]}"
