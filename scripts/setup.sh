#!/usr/bin/env bash
# One idempotent set-up for `npm start`, `npm test` and `npm run bench`: installs the Debian
# packages Berth drives, the npm dependencies, builds, and prepares the offline busybox image.
# Quick when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real components Berth runs (see ARCHITECTURE.md "Chosen dependencies") and test clients.
packages=(runc conmon iptables containernetworking-plugins busybox-static tini catatonit attr iproute2 util-linux procps tmux python3-docker docker-registry skopeo etcd-server etcd-client debootstrap docker-compose)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: install when node_modules is missing or older than the lock file
# (a node_modules linked from another checkout of the same tree is left to that checkout).
if [ ! -L node_modules ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; }; then
  echo "setup: installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi

# Build when any source is newer than the last build.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench scripts tsconfig.json package.json -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  echo "setup: building"
  npx tsc -p tsconfig.json
  touch "$stamp"
fi

# The offline busybox:latest image, built from Debian's busybox-static, for tests and `npm start`.
mkdir -p .cache/images
if [ ! -f .cache/images/busybox.tar ] || [ /bin/busybox -nt .cache/images/busybox.tar ] || [ scripts/build-busybox-image.mjs -nt .cache/images/busybox.tar ]; then
  echo "setup: building busybox:latest image tarball"
  node scripts/build-busybox-image.mjs .cache/images/busybox.tar
fi
data_root="${BERTH_DATA_ROOT:-/var/lib/berth}"
mkdir -p "$data_root/images-import"
if ! cmp -s .cache/images/busybox.tar "$data_root/images-import/busybox.tar"; then
  cp .cache/images/busybox.tar "$data_root/images-import/busybox.tar.tmp"
  mv "$data_root/images-import/busybox.tar.tmp" "$data_root/images-import/busybox.tar"
fi
