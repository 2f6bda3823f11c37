#!/usr/bin/env bash
# Builds krunctl's guest kernel from Debian's linux-source-6.1 package: `make ARCH=x86_64
# tinyconfig`, then kernel/krunctl.config merged over it, then `vmlinux` (the ELF image QEMU boots
# through its PVH entry; no bzImage, no modules).
#
# The result is cached by a key over everything that shapes it (this script's commands, the
# fragment's settings, the source package's version and the compiler; not their comments), in
#   ${XDG_CACHE_HOME:-~/.cache}/krunctl/kernel/own/<key>/{vmlinux,config,release}
# and `own/current` names the key krunctl boots. A finished build is renamed into place whole, so
# an interrupted one never leaves a half-written entry; concurrent runs build once (flock).
# A cache hit takes a few milliseconds. Kbuild's tree (own/build) is kept between builds, so a
# changed fragment recompiles only what the changed options touch. Progress goes to stderr; the
# vmlinux path to stdout.
#
# Usage: bash kernel/build.sh [--key]     --key prints the cache key and builds nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fragment="$here/krunctl.config"
package=linux-source-6.1
tarball=/usr/src/$package.tar.xz

say() { echo "kernel: $*" >&2; }
fail() { say "$*"; exit 1; }

[ -f "$tarball" ] || fail "$tarball is missing; install it with: apt-get install $package"
version="$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null)" || fail "$package is not installed"
for tool in make gcc flex bison bc; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing; run scripts/prereqs.sh"
done

# The fragment without its reasons: Kconfig wants bare lines, and the key ignores the comments.
bare_fragment() {
  sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*="[^"]*"\).*/\1/p;t' \
    -e 's/^\(CONFIG_[A-Za-z0-9_]*=[^[:space:]#]*\).*/\1/p;t' \
    -e 's/^\(# CONFIG_[A-Za-z0-9_]* is not set\).*/\1/p' "$fragment"
}
key="$( { echo "krunctl-kernel 1"; echo "$package $version"; gcc --version | head -n1;
          grep -v '^[[:space:]]*#' "${BASH_SOURCE[0]}"; bare_fragment; } | sha256sum | cut -c1-16)"
if [ "${1:-}" = "--key" ]; then
  echo "$key"
  exit 0
fi

cache="${XDG_CACHE_HOME:-}"
case "$cache" in /*) ;; *) cache="$HOME/.cache" ;; esac
own="$cache/krunctl/kernel/own"
entry="$own/$key"
mkdir -p "$own"

# Points krunctl at the entry; written to a temporary name and renamed, so readers see the old key
# or the new one.
point_at_entry() {
  local tmp="$own/.current-$$.tmp"
  echo "$key" > "$tmp"
  mv -f "$tmp" "$own/current"
  echo "$entry/vmlinux"
}

if [ -f "$entry/vmlinux" ]; then
  point_at_entry
  exit 0
fi

exec 9>"$own/.lock"
flock 9
if [ -f "$entry/vmlinux" ]; then # another run built it while this one waited
  point_at_entry
  exit 0
fi
# What interrupted builds left behind; only removed under the lock, where nobody else is building.
# (A .current-*.tmp may belong to a run that is pointing at a cached kernel right now: it stays.)
rm -rf "$own"/.staging-* "$own"/.src-*

start=$SECONDS
elapsed() { printf '%d:%02d' $(((SECONDS - start) / 60)) $(((SECONDS - start) % 60)); }

# The unpacked source is kept per package version: a changed fragment rebuilds without unpacking.
src="$own/src-$version"
if [ ! -f "$src/Makefile" ]; then
  say "unpacking $tarball ($package $version)"
  rm -rf "$src"
  unpack="$own/.src-$$"
  mkdir -p "$unpack"
  tar -xJf "$tarball" -C "$unpack" --strip-components=1
  mv -T "$unpack" "$src"
  for old in "$own"/src-*; do
    [ "$old" = "$src" ] || rm -rf "$old"
  done
fi

work="$own/build"
mkdir -p "$work"
log="$work/build.log"
# Fixed build identity and timestamp: the same inputs give the same vmlinux.
export KBUILD_BUILD_USER=krunctl KBUILD_BUILD_HOST=krunctl KBUILD_BUILD_VERSION=1
KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$(stat -c %Y "$tarball")" '+%Y-%m-%d')"
export KBUILD_BUILD_TIMESTAMP
kmake=(make -C "$src" O="$work" ARCH=x86_64)

on_failure() {
  say "build failed after $(elapsed); the last lines of $log:"
  tail -n 15 "$log" | sed 's/^/kernel:   /' >&2
}
trap on_failure ERR

say "configuring (tinyconfig + $(basename "$fragment"))"
"${kmake[@]}" tinyconfig > "$log" 2>&1
bare_fragment > "$work/krunctl.fragment"
(cd "$work" && KCONFIG_CONFIG=.config bash "$src/scripts/kconfig/merge_config.sh" -m .config krunctl.fragment) \
  >> "$log" 2>&1
"${kmake[@]}" olddefconfig >> "$log" 2>&1
# Every option the fragment asks for must survive olddefconfig: a dropped one means a dependency
# is missing from the fragment, which is a bug in the fragment, not something to boot with.
missing=()
while IFS= read -r line; do
  name="${line%%=*}"
  name="${name#\# }"
  name="${name%% is not set}"
  if [[ $line == \#* ]]; then
    grep -q "^$name=" "$work/.config" && missing+=("$name should be off")
  else
    grep -qx "$line" "$work/.config" || missing+=("$line")
  fi
done < "$work/krunctl.fragment"
if [ ${#missing[@]} -gt 0 ]; then
  say "the configuration lost options (their dependencies are not set): ${missing[*]}"
  false
fi

jobs="$(nproc 2>/dev/null || echo 2)"
say "compiling Linux $version with $jobs jobs (from scratch 3.5 to 5 minutes on 2 cores; log: $log)"
# Niced: the build shares the machine with VMs and benchmarks. One progress line every 20 seconds:
# the elapsed time and the file being compiled.
nice -n 10 "${kmake[@]}" -j"$jobs" vmlinux 2>&1 | tee -a "$log" | {
  next=$((SECONDS + 20))
  while IFS= read -r line; do
    if [ $SECONDS -ge $next ] && [[ $line == *" CC "* ]]; then
      say "  $(elapsed) ${line##* }"
      next=$((SECONDS + 20))
    fi
  done
}
[ "${PIPESTATUS[0]}" -eq 0 ] || false

staging="$own/.staging-$key-$$"
mkdir -p "$staging"
cp "$work/vmlinux" "$staging/vmlinux"
cp "$work/.config" "$staging/config"
"${kmake[@]}" -s kernelrelease > "$staging/release"
sync -f "$staging/vmlinux"
mv -T "$staging" "$entry"
trap - ERR
# Older configurations' kernels: the four newest stay (other checkouts may boot them).
find "$own" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
  -printf '%T@ %p\n' | sort -rn | tail -n +5 | cut -d' ' -f2- | xargs -r rm -rf
say "built $(cat "$entry/release") in $(elapsed): $entry/vmlinux"
point_at_entry
