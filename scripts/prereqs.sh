#!/usr/bin/env bash
# Installs what krunctl needs to build, run and test on Debian 12, skipping what is already there.
# Idempotent: a second run installs nothing and takes well under a second.
set -euo pipefail

packages=(
  qemu-system-x86        # the VMM engine (qemu-system-x86_64) and the reference C virtiofsd
  busybox-static         # the static userland of the example specs
  librust-libc-dev       # the guest init's crates, from Debian (no crate registry is reachable)
  librust-serde-dev
  librust-serde-derive-dev
  librust-serde-json-dev
  lz4                    # test fixtures for the kernel payload decoder
  e2fsprogs              # mkfs.ext4 -d for block-root tests
  util-linux             # setpriv: QEMU dies with krunctl
  coreutils              # env --block-signal (8.31+): the launcher hands signals to krunctl's signalfd
  tmux                   # TerminalIT runs krunctl on a real terminal
  podman                 # PodmanIT: the real client of krunctl as an OCI runtime (with conmon)
  netavark               # podman's network backend (only recommended by its packages)
  iptables               # netavark, podman's default bridge network, sets up NAT with it
  maven
  man-db                 # tests render the man pages with man -l
  zsh                    # tests load the zsh completion script
  hyperfine              # bench/: timing against the reference stack
  cpio                   # bench/: the reference initramfs
  debootstrap            # tests: the Debian userland scripts/debian-rootfs.sh builds once
  python3                # tests: the host checks the guest's SQLite databases
  linux-source-6.1       # kernel/build.sh: the source of krunctl's own guest kernel
  make                   # kernel/build.sh: Kbuild
  gcc                    # kernel/build.sh: the compiler (and the host tools of Kbuild)
  libc6-dev              # kernel/build.sh: Kbuild's host tools
  bc                     # kernel/build.sh: kernel/time/timeconst.h
  flex                   # kernel/build.sh: the Kconfig parser
  bison                  # kernel/build.sh: the Kconfig parser
  libelf-dev             # kernel/build.sh: objtool, which x86_64 builds need
  xz-utils               # kernel/build.sh: unpacks the source tarball
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

# The kernel package is fetched at run time with apt-get download, which needs package lists.
if [ ${#missing[@]} -gt 0 ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
  echo "prereqs: apt-get update" >&2
  "${sudo_cmd[@]}" apt-get update -q >&2
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "prereqs: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# Rust: rustup's toolchain where present (it builds static binaries with crt-static), else Debian's.
if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  echo "prereqs: installing Debian's Rust toolchain" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends cargo rustc >&2
fi

# A JDK 25 or newer must already be on the machine (Debian 12 does not package one).
. "$(dirname "$0")/java-home.sh"
