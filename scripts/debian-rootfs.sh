#!/usr/bin/env bash
# Builds, once, a Debian 12 (bookworm) userland for end-to-end tests of a host directory as the
# guest's root: `debootstrap --variant=minbase` plus python3 and sqlite3, in
#   ${XDG_CACHE_HOME:-~/.cache}/krunctl/rootfs/bookworm-minbase
# and prints that path on stdout. Idempotent: a finished tree (marked by .krunctl-rootfs-complete)
# is reused as is, in well under a second. Atomic: the tree is built in a temporary folder beside
# the final one and renamed into place only when complete, so an interrupted build never leaves a
# half tree that later runs would take for a good one; concurrent callers wait on a lock.
#
# The mirror is the one apt is configured with (/etc/apt/sources.list and sources.list.d), so it
# works wherever `apt-get install` does; DEBIAN_MIRROR overrides it. debootstrap needs root: run as
# root or with sudo. Usage: scripts/debian-rootfs.sh [--print-path]
set -euo pipefail

suite=bookworm
name="$suite-minbase"
include=python3,sqlite3
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
case "$cache" in /*) ;; *) cache="$HOME/.cache" ;; esac
base="$cache/krunctl/rootfs"
dest="$base/$name"
stamp="$dest/.krunctl-rootfs-complete"

if [ "${1:-}" = "--print-path" ]; then
  echo "$dest"
  exit 0
fi
if [ -f "$stamp" ]; then
  echo "$dest"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "debian-rootfs: debootstrap needs root (or sudo)" >&2; exit 77; }
  sudo_cmd=(sudo)
fi
if ! command -v debootstrap >/dev/null && [ ! -x /usr/sbin/debootstrap ]; then
  echo "debian-rootfs: installing debootstrap" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends debootstrap >&2
fi

# The first Debian archive URI apt uses (deb822 .sources files, then one-line lists), skipping the
# security archive.
mirror_from_apt() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f" \
      | grep -v security | head -n 1
  done
}
mirror="${DEBIAN_MIRROR:-$(mirror_from_apt | head -n 1)}"
mirror="${mirror:-http://deb.debian.org/debian}"

mkdir -p "$base"
exec 9> "$base/.$name.lock"
flock 9
if [ -f "$stamp" ]; then
  echo "$dest"
  exit 0
fi
# A tree without its stamp is from an older layout or was left by hand: rebuild it.
if [ -e "$dest" ]; then
  "${sudo_cmd[@]}" rm -rf "$dest"
fi
tmp="$(mktemp -d "$base/.$name.XXXXXX")"
cleanup() { "${sudo_cmd[@]}" rm -rf "$tmp"; }
trap cleanup EXIT

echo "debian-rootfs: debootstrap --variant=minbase --include=$include $suite from $mirror (a few minutes, once)" >&2
"${sudo_cmd[@]}" debootstrap --variant=minbase --include="$include" "$suite" "$tmp" "$mirror" \
  > "$base/.$name.log" 2>&1 || {
    echo "debian-rootfs: debootstrap failed; the last lines of $base/.$name.log:" >&2
    tail -n 20 "$base/.$name.log" >&2
    exit 1
  }
# Downloaded packages and apt's lists are of no use inside the guest; keep the tree small.
"${sudo_cmd[@]}" rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
"${sudo_cmd[@]}" chmod 0755 "$tmp"
"${sudo_cmd[@]}" touch "$tmp/.krunctl-rootfs-complete"
"${sudo_cmd[@]}" mv -T "$tmp" "$dest"
trap - EXIT
echo "$dest"
