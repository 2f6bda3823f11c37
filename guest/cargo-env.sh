# Sourced by build.sh and test.sh: finds cargo, cds to the workspace.
# Maven and CI shells often lack ~/.cargo/bin on PATH, so look there too.

guest_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

find_cargo() {
    local candidate
    if candidate=$(command -v cargo 2>/dev/null); then
        echo "$candidate"
        return 0
    fi
    for candidate in "${CARGO_HOME:-}/bin/cargo" "${HOME:-}/.cargo/bin/cargo" /root/.cargo/bin/cargo; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! cargo=$(find_cargo); then
    echo "guest: cargo not found (looked on PATH, \$CARGO_HOME/bin, ~/.cargo/bin, /root/.cargo/bin); install Rust with rustup" >&2
    exit 1
fi

# rustup's proxies need their toolchain directory next to cargo, and rustc on PATH.
cargo_bin=$(dirname "$cargo")
export PATH="$cargo_bin:$PATH"
if [ -z "${RUSTUP_HOME:-}" ] && [ -d "$cargo_bin/../../.rustup" ] && [ ! -d "${HOME:-/nonexistent}/.rustup" ]; then
    RUSTUP_HOME=$(cd "$cargo_bin/../../.rustup" && pwd)
    export RUSTUP_HOME
fi

# cargo reads .cargo/config.toml (the Debian crate source) from the current
# directory upwards: always work from the workspace.
cd "$guest_dir"
export CARGO_TARGET_DIR="$guest_dir/target"
