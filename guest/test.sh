#!/usr/bin/env bash
# Runs the guest unit tests, and the agent's integration tests against its
# built binary, on the host (a normal dynamic build: the static flags are
# only for the shipped binaries). Extra arguments go to cargo test.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/cargo-env.sh"

unset RUSTFLAGS
exec "$cargo" test --locked "$@"
