#!/usr/bin/env bash
# krunctl's own guest kernel against Debian's cloud kernel, in one run:
#   1. specs/hello.yaml end to end on each (hyperfine); target for the own kernel: <= 1.5 s.
#   2. Boot to workload on each: the guest's /proc/uptime as read by the workload, i.e. kernel start
#      to the workload running (median of the runs; QEMU's and the firmware's ~0.07 s before the
#      kernel starts are not included; the init's own setup is).
#   3. With --loop N: N boots of hello.yaml in a row on the own kernel while another VM keeps a
#      vCPU busy; each must exit 0 and print the motd, and QEMU must be gone after each.
# Prints figures; fails only when a run fails. Needs a built tree (make build) and hyperfine.
# Usage: bench/kernel.sh [RUNS] [--loop N]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs=10
loop=0
while [ $# -gt 0 ]; do
  case "$1" in
    --loop) loop="$2"; shift 2 ;;
    *) runs="$1"; shift ;;
  esac
done
command -v hyperfine >/dev/null || { echo "bench: install hyperfine (apt-get install hyperfine)" >&2; exit 69; }
own="$(bash kernel/build.sh)" || { echo "bench: krunctl's own kernel cannot be built" >&2; exit 70; }
echo "own kernel: $own ($(cat "$(dirname "$own")/release"))"

work="$(mktemp -d)"
background=
cleanup() {
  if [ -n "$background" ]; then
    kill "$background" 2>/dev/null || true
    wait "$background" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

spec=specs/hello.yaml
motd="hello from a microVM"
for kernel in krunctl debian; do # warms the Debian kernel's cache and checks both boot
  out="$(./krunctl run --set "kernel=$kernel" "$spec")"
  [ "$out" = "$motd" ] || { echo "bench: hello.yaml on the $kernel kernel printed: $out" >&2; exit 70; }
done

echo "== 1. specs/hello.yaml end to end ($runs runs each)"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/hello.json" \
  -n own "$root/krunctl run --set kernel=krunctl $spec" \
  -n debian "$root/krunctl run --set kernel=debian $spec" >&2
python3 - "$work/hello.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
o, d = r["own"], r["debian"]
print(f"own kernel {o['median']*1000:.0f} ms median (min {o['min']*1000:.0f}, max {o['max']*1000:.0f}),"
      f" Debian kernel {d['median']*1000:.0f} ms median (min {d['min']*1000:.0f}, max {d['max']*1000:.0f});"
      f" target for the own kernel <= 1500 ms")
PY

echo "== 2. kernel start to workload, from the guest's /proc/uptime ($runs runs each)"
for kernel in krunctl debian; do
  for ((i = 0; i < runs; i++)); do
    ./krunctl run --set "kernel=$kernel" "$spec" -- /bin/busybox cat /proc/uptime | cut -d' ' -f1
  done | sort -n | awk -v k="$kernel" '{v[NR] = $1}
    END {printf "%s kernel: workload runs at %.2f s median (min %.2f, max %.2f)\n", k, v[int((NR + 1) / 2)], v[1], v[NR]}'
done

if [ "$loop" -gt 0 ]; then
  echo "== 3. $loop boots in a row on the own kernel, another VM busy beside them"
  ./krunctl run --set kernel=krunctl --set 'process.args=[/bin/busybox, sh, -c, "while :; do :; done"]' \
    "$spec" > /dev/null 2>&1 &
  background=$!
  sleep 2
  failures=0
  start=$SECONDS
  for ((i = 1; i <= loop; i++)); do
    rc=0
    out="$(./krunctl run --set kernel=krunctl "$spec" 2> "$work/stderr")" || rc=$?
    if [ "$rc" -ne 0 ] || [ "$out" != "$motd" ]; then
      failures=$((failures + 1))
      echo "boot $i failed: exit $rc, stdout '$out', stderr: $(head -c 300 "$work/stderr")"
    fi
  done
  kill -0 "$background" 2>/dev/null || echo "note: the background VM ended early"
  left="$(pgrep -c -f 'krunctl-hello,process' || true)"
  echo "$((loop - failures))/$loop boots succeeded in $((SECONDS - start)) s; QEMU processes left besides the" \
    "background VM's: $((left > 0 ? left - 1 : 0))"
  [ "$failures" -eq 0 ]
fi
