#!/usr/bin/env bash
# krunctl as podman's OCI runtime: what a container costs, end to end, in one run.
#   a. podman --runtime krunctl run --rm IMAGE /bin/busybox true   (a microVM per container)
#   b. krunctl run of the same workload on the same root tree     (the VM without podman)
#   c. podman --runtime bench/chroot-runtime run --rm IMAGE ...   (podman's own floor: no VM;
#      crun cannot run on these machines, see bench/chroot-runtime)
# Each with --network none, and a. once more with podman's default bridge network (netavark).
# Prints the medians, podman's overhead over krunctl run (a - b, a / b) and the VM's cost under
# podman (a - c). Asserts nothing. Needs root, a built tree (make build), podman and hyperfine.
# Usage: bench/oci.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${1:-10}"
for tool in hyperfine podman python3; do
  command -v "$tool" >/dev/null || { echo "bench: install $tool (apt-get install $tool)" >&2; exit 69; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench: krunctl runs under rootful podman: run as root" >&2; exit 77; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/rootfs"
mkdir -p "$tree/bin" "$tree/etc" "$tree/tmp"
cp /bin/busybox "$tree/bin/busybox"
image=localhost/krunctl-bench-busybox
tar -C "$tree" -c . | podman import - "$image" > /dev/null

cat > "$work/true.yaml" <<YAML
apiVersion: krunctl/v1
name: bench-true
memory: 512Mi
root:
  dir: $tree
process:
  args: [/bin/busybox, "true"]
YAML

echo "== one container running /bin/busybox true, $runs runs each" >&2
hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/oci.json" \
  -n "podman+krunctl" "podman --runtime $root/krunctl run --rm --network none $image /bin/busybox true" \
  -n "krunctl run" "$root/krunctl run $work/true.yaml" \
  -n "podman+chroot" "podman --runtime $root/bench/chroot-runtime run --rm --network none $image /bin/busybox true" \
  -n "podman+krunctl bridge" "podman --runtime $root/krunctl run --rm $image /bin/busybox true" >&2

python3 - "$work/oci.json" <<'PY'
import json, statistics, sys
results = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
a, b, c = results["podman+krunctl"], results["krunctl run"], results["podman+chroot"]
for name, t in results.items():
    print(f"{name:24s} {t * 1000:7.0f} ms (median)")
print(f"podman's cost over krunctl run: {1000 * (a - b):+.0f} ms, ratio {a / b:.2f}")
print(f"the VM's cost under podman:     {1000 * (a - c):+.0f} ms, ratio {a / c:.2f}")
PY
podman rmi "$image" > /dev/null
