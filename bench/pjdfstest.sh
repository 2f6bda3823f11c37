#!/usr/bin/env bash
# POSIX conformance of krunctl's virtio-fs device: the pjdfstest suite (https://github.com/pjd/pjdfstest,
# BSD-2-Clause; the FUSE and NFS servers' yardstick), run as root in a Debian guest whose root is a
# host directory shared by krunctl with `devices: true` and `cache: always`, and then, as the
# reference, on the same directory of the host's own filesystem (ext4 here) in a chroot. Prints each
# side's ok / not ok counts, every test file whose counts differ between the sides, and each side's
# failing files with their first failures that pjdfstest does not mark TODO (its known Linux
# behaviours, which fail on ext4 too; run-files.sh counts them as not ok but does not list them).
# The counts may differ where the suite itself decides by filesystem type: rename/22.t (rename updates
# ctime, which POSIX does not require) runs on ext4 only and is one "ok" elsewhere, and a TODO item
# ext4 fails may pass on virtio-fs (chown(-1, -1) leaves ctime alone there, as POSIX allows).
# The suite's sources, build script and runner are taken from ../shared/tools/pjdfstest beside this
# repository (PJDFSTEST_DIR overrides it); nothing of them is copied into the project.
# The guest's root is a debootstrap tree with perl and openssl (the tests need both), built once in
#   ${XDG_CACHE_HOME:-~/.cache}/krunctl/rootfs/bookworm-pjdfstest
# and reused (marked complete by .krunctl-rootfs-complete; built beside and renamed into place, so an
# interrupted build is never taken for a good one). The freshly built pjdfstest goes to its /pjd; the
# suite works in its /pjdwork, which the runner empties first, so runs take turns on the tree (a lock).
# The guest side takes about 28 minutes under TCG (about 0.2 s per assertion with the page cache
# kept), the host side about 4 minutes. Needs root (device nodes, chown, chroot), debootstrap, gcc
# with a static glibc, and a built tree (make build).
# Usage: bench/pjdfstest.sh [TEST...]   e.g. bench/pjdfstest.sh chmod/00.t mknod/11.t
#        (default: every test file); raw outputs are kept in the directory printed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="${PJDFSTEST_DIR:-$root/../shared/tools/pjdfstest}"
[ -x "$tools/build.sh" ] || { echo "bench: no pjdfstest in $tools (set PJDFSTEST_DIR)" >&2; exit 69; }
[ "$(id -u)" -eq 0 ] || { echo "bench: pjdfstest must run as root (it creates device nodes and chowns)" >&2; exit 77; }
for need in debootstrap gcc unshare chroot; do
  command -v "$need" >/dev/null || { echo "bench: $need is missing" >&2; exit 69; }
done

cache="${XDG_CACHE_HOME:-$HOME/.cache}"
case "$cache" in /*) ;; *) cache="$HOME/.cache" ;; esac
base="$cache/krunctl/rootfs"
name=bookworm-pjdfstest
tree="$base/$name"
mkdir -p "$base"
exec 9> "$base/.$name.lock"
# Held for the whole run: the suite empties the tree's /pjdwork, so two runs cannot share it.
flock 9

if [ ! -f "$tree/.krunctl-rootfs-complete" ]; then
  # The first Debian archive apt is configured with (as scripts/debian-rootfs.sh does), not the
  # security archive.
  mirror="${DEBIAN_MIRROR:-$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | tr ' ' '\n' | grep -v -e security -e '^$' | head -n 1 || true)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  rm -rf "$tree"
  tmp="$(mktemp -d "$base/.$name.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "bench: debootstrap --variant=minbase --include=openssl,perl bookworm from $mirror (a few minutes, once)" >&2
  debootstrap --variant=minbase --include=openssl,perl bookworm "$tmp" "$mirror" > "$base/.$name.log" 2>&1 || {
    echo "bench: debootstrap failed; the last lines of $base/.$name.log:" >&2
    tail -n 20 "$base/.$name.log" >&2
    exit 1
  }
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
  chmod 0755 "$tmp"
  touch "$tmp/.krunctl-rootfs-complete"
  mv -T "$tmp" "$tree"
  trap - EXIT
fi

rm -rf "$tree/pjd" "$tree/pjdwork"
"$tools/build.sh" "$tree/pjd"
if [ $# -gt 0 ]; then
  tests=("$@")
else
  mapfile -t tests < <(cd "$tree/pjd/tests" && ls -d -- */*.t | sort -V)
fi
out="$(mktemp -d /tmp/pjdfstest.XXXXXX)"
echo "bench: ${#tests[@]} test files; raw outputs in $out" >&2

# The reference: the same runner on the same tree, on the host's filesystem, in a chroot. A private
# mount namespace gives the chroot its own /proc (df, which the suite asks for the filesystem type,
# reads the mount table there) and makes the tree a mount point of its own, so that df finds it.
fstype="$(df -PT "$tree" | awk 'NR == 2 { print $2 }')"
echo "bench: host ($fstype) run" >&2
unshare --mount --propagation private --pid --fork /bin/sh -c '
  tree=$1; shift
  mount --bind "$tree" "$tree" && mount -t proc proc "$tree/proc" &&
    exec chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash /pjd/run-files.sh "$@"
' sh "$tree" "${tests[@]}" > "$out/host.txt" 2>&1 || true

echo "bench: krunctl run (about 25 minutes under TCG for the whole suite)" >&2
{
  cat <<YAML
apiVersion: krunctl/v1
name: pjdfstest
memory: 1Gi
root:
  dir: {path: $tree, cache: always, devices: true}
process:
  env: {PATH: /usr/sbin:/usr/bin:/sbin:/bin, HOME: /root}
  args:
    - /bin/bash
    - /pjd/run-files.sh
YAML
  printf '    - %s\n' "${tests[@]}"
} > "$out/pjdfstest.yaml"
start=$(date +%s)
./krunctl run "$out/pjdfstest.yaml" > "$out/krunctl.txt" 2> "$out/krunctl.log" || {
  echo "bench: krunctl failed (exit $?); the last lines of $out/krunctl.log:" >&2
  tail -n 10 "$out/krunctl.log" >&2
  exit 70
}
echo "bench: krunctl took $(( $(date +%s) - start )) s" >&2

summary() {
  local side="$1" file="$2"
  awk -v side="$side" '
    $1 == "FILE" { ok += $3; notok += $4; if ($4 > 0) failing = failing " " $2 "(" $4 ")" }
    END { printf "%-8s %6d ok %6d not ok   failing files (not ok):%s\n", side, ok, notok, failing }' "$file"
}
echo
echo "pjdfstest, ${#tests[@]} test files, as root: krunctl = virtio-fs (devices: true, cache: always), host = $fstype"
summary krunctl "$out/krunctl.txt"
summary host "$out/host.txt"
echo
echo "test files whose counts differ (file: krunctl ok/not ok, host ok/not ok):"
join -a1 -a2 -e - -o 0,1.2,1.3,2.2,2.3 \
  <(awk '$1 == "FILE" { print $2, $3, $4 }' "$out/krunctl.txt" | sort) \
  <(awk '$1 == "FILE" { print $2, $3, $4 }' "$out/host.txt" | sort) \
  | awk '$2 != $4 || $3 != $5 { printf "  %s: %s/%s, %s/%s\n", $1, $2, $3, $4, $5; n++ } END { if (!n) print "  none" }'
for side in krunctl host; do
  echo
  echo "$side: failures not marked TODO (the first five of each file):"
  grep '^NOTOK ' "$out/$side.txt" | sed 's/^NOTOK /  /' || echo "  none"
done
echo
echo "raw outputs: $out"
