#!/usr/bin/env bash
# Builds the Debian base image `berth/debian:bookworm` as a docker-archive tarball, from Debian's
# own packages with debootstrap (lecture concept: a base image is just a root file system plus a
# config; `docker load` takes such a tarball). Used by examples/ and the tests that build them.
#
# Usage: scripts/build-debian-image.sh <out.tar> [<reference> [<packages,…>]]
#
# minbase (apt, bash, coreutils, dpkg, passwd…) plus python3 by default, so the example web
# application runs without fetching anything at build time; examples/compose-counter uses the
# same script with Flask, Redis and Nginx added (berth/debian-stack:bookworm). Downloaded packages are kept in
# .cache/debian-debs/ so a rebuild fetches nothing. The archive is written beside <out.tar> and
# renamed into place, so a failed run never leaves a torn tarball.
set -euo pipefail
out=${1:?usage: build-debian-image.sh <out.tar> [<reference> [<packages,…>]]}
repo=$(cd "$(dirname "$0")/.." && pwd)
ref=${2:-berth/debian:bookworm}
include=${3:-python3}

command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

# The mirror apt already uses (one-line or deb822 sources), else Debian's default.
mirror=$(sed -n -E 's/^deb +(\[[^]]*\] +)?(\S+) +bookworm .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1 || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '/^URIs:/ {u=$2} /^Suites:.*bookworm( |$)/ && u !~ /security/ {print u; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${out}.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
debs=$repo/.cache/debian-debs
mkdir -p "$debs" "$rootfs/var/cache/apt/archives"
cp -l "$debs"/*.deb "$rootfs/var/cache/apt/archives/" 2>/dev/null || true
debootstrap --variant=minbase --include="$include" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}
cp -n "$rootfs"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null || true
# What the image should not carry: the package cache, apt lists, and device nodes (containers
# get /dev from the runtime; Berth refuses device nodes in layers).
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/dev "$rootfs"/proc "$rootfs"/sys
mkdir -p "$rootfs"/dev "$rootfs"/proc "$rootfs"/sys
: >"$rootfs"/etc/resolv.conf

# docker-archive: <diff>/layer.tar, <config digest>.json, manifest.json, repositories.
arch=$work/archive
mkdir -p "$arch"
tar --numeric-owner --sort=name --mtime=@0 -C "$rootfs" -cf "$arch/layer.tar" .
diff=$(sha256sum "$arch/layer.tar" | cut -d' ' -f1)
mkdir "$arch/$diff"
mv "$arch/layer.tar" "$arch/$diff/layer.tar"
created=2024-01-01T00:00:00Z
printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"],"Cmd":["bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"debootstrap --variant=minbase --include=%s bookworm"}]}' \
  "$created" "$diff" "$created" "$include" >"$arch/config.json"
id=$(sha256sum "$arch/config.json" | cut -d' ' -f1)
mv "$arch/config.json" "$arch/$id.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$id" "$ref" "$diff" >"$arch/manifest.json"
printf '{"%s":{"%s":"%s"}}' "${ref%:*}" "${ref##*:}" "$diff" >"$arch/repositories"
tar --numeric-owner -C "$arch" -cf "$out.tmp" "$diff" "$id.json" manifest.json repositories
mv "$out.tmp" "$out"
echo "$ref: $out ($(du -h "$out" | cut -f1))"
