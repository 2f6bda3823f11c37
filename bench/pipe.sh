#!/usr/bin/env bash
# Throughput of krunctl's pipe path (virtio-serial ports <-> unix sockets <-> krunctl's relay <-> host
# pipes), in MiB/s, boot time excluded. Prints figures; asserts nothing. Needs a built tree.
#   out:     the guest writes SIZE MiB (dd from /dev/zero, 64 KiB blocks) -> krunctl's stdout
#   in:      SIZE MiB -> krunctl's stdin -> the guest reads and discards them (dd to /dev/null)
#   through: SIZE MiB -> krunctl's stdin -> `cat` (4 KiB reads and writes) in the guest -> stdout;
#            and the same with `dd bs=64k`, which shows what the guest's copier costs
#   host:    the same through a host `cat`, as a ceiling for the measuring ends themselves
# Usage: bench/pipe.sh [SIZE_MIB] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/java-home.sh
. scripts/java-home.sh
size="${1:-256}"
runs="${2:-1}"
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (package busybox-static)" >&2; exit 69; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
meter() { "$JAVA_HOME/bin/java" -XX:+UseSerialGC -Xshare:auto "$root/bench/PipeMeter.java" "$@"; }
spec() { # NAME ARGS_FLOW_SEQUENCE
  cat > "$work/$1.yaml" <<YAML
apiVersion: krunctl/v1
name: pipe-$1
cpus: 1
memory: 256Mi
root:
  nullfs: {}
files:
  - {path: /bin/busybox, source: /bin/busybox, mode: "0755"}
process:
  args: $2
YAML
}
spec out "[/bin/busybox, dd, if=/dev/zero, bs=65536, count=$((size * 16))]"
spec in "[/bin/busybox, dd, of=/dev/null, bs=65536]"
spec through "[/bin/busybox, cat]"
spec through-dd "[/bin/busybox, dd, bs=65536]"

echo "bench: $size MiB per direction, $runs run(s)" >&2
for ((i = 1; i <= runs; i++)); do
  ./krunctl run "$work/out.yaml" 2>/dev/null | meter read "out (guest -> host stdout)"
  meter write "$size" "in (host stdin -> guest)" | ./krunctl run "$work/in.yaml" >/dev/null 2>/dev/null
  meter write "$size" | ./krunctl run "$work/through.yaml" 2>/dev/null | meter read "through (cat in the guest)"
  meter write "$size" | ./krunctl run "$work/through-dd.yaml" 2>/dev/null | meter read "through (dd bs=64k)"
  meter write "$size" | cat | meter read "host cat (ceiling)"
done
