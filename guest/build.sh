#!/usr/bin/env bash
# Builds the static guest init and agent and copies them to OUTDIR/krun-init
# and OUTDIR/krun-agent.
# Usage: bash guest/build.sh OUTDIR     (Maven runs it on every build; a
# no-change rebuild is incremental and takes about a second.)
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: guest/build.sh OUTDIR" >&2
    exit 2
fi
case $1 in
    /*) out=$1 ;;
    *) out=$PWD/$1 ;;
esac

source "$(dirname "${BASH_SOURCE[0]}")/cargo-env.sh"

target=x86_64-unknown-linux-gnu
# Static glibc binary (static-pie). --target is required: without it the
# flag would also reach build scripts and proc-macros.
export RUSTFLAGS="-C target-feature=+crt-static"
if ! "$cargo" build --release --locked --target "$target" -p init --bin krun-init -p agent --bin krun-agent; then
    echo "guest: cargo build of krun-init and krun-agent failed" >&2
    exit 1
fi

mkdir -p "$out"
for name in krun-init krun-agent; do
    binary="$CARGO_TARGET_DIR/$target/release/$name"
    # Copy only when changed, so the output keeps its timestamp across no-op builds.
    if ! cmp -s "$binary" "$out/$name"; then
        cp "$binary" "$out/$name.tmp"
        chmod 0755 "$out/$name.tmp"
        mv -f "$out/$name.tmp" "$out/$name"
    fi
done
