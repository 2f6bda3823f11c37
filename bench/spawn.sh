#!/usr/bin/env bash
# Process starts from the virtio-fs root, as a user's shell script, `make` or a test suite makes them:
# each workload under krunctl's default settings against the floor measured in the same run, the
# same loop on the same tree served with `cache: always` (everything cached for a day). A ratio near
# 1.0 means a process start costs what it would if the guest never had to ask the host again.
#   nullfs-virtual   busybox a virtual file on a NullFs root (specs/hello.yaml's shape)
#   dir-host         busybox a host file in a directory root, default cache (auto)
#   debian-bash      a Debian 12 root, bash running /bin/true over and over
#   debian-python    the same root, python3 importing json and sqlite3 over and over
# The floor's tree is the same directory (for nullfs-virtual: a directory holding busybox as a real
# file). Every workload times itself inside the guest (boot left out) and must print its own
# success line, or the bench stops: a side that fails fast must not look fast.
# Needs a built tree (make build); the Debian workloads need scripts/debian-rootfs.sh's tree (built
# on first use, a few minutes).
# Usage: bench/spawn.sh [REPEATS [WORKLOAD...]]   (default: 3 repeats of every workload)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
repeats="${1:-3}"
shift || true
order=(nullfs-virtual dir-host debian-bash debian-python)
if [ $# -gt 0 ]; then
  for w in "$@"; do
    case " ${order[*]} " in *" $w "*) ;; *) echo "bench: no workload '$w'; choose from: ${order[*]}" >&2; exit 64 ;; esac
  done
  order=("$@")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
mkdir -p "$tree/bin" "$tree/dev" "$tree/proc" "$tree/sys"
cp /bin/busybox "$tree/bin/busybox"
debian=""
for w in "${order[@]}"; do
  case "$w" in debian-*) debian="$(bash scripts/debian-rootfs.sh)" ;; esac
done

# Each loop prints "elapsed <centiseconds> ok" measured inside the guest; "ok" only if every start
# succeeded.
busybox_loop='t0=$(/bin/busybox cut -d" " -f1 /proc/uptime); i=0; ok=ok
while [ $i -lt 300 ]; do /bin/busybox true || ok=failed; i=$((i+1)); done
t1=$(/bin/busybox cut -d" " -f1 /proc/uptime); echo "elapsed $(/bin/busybox echo "$t0 $t1" | /bin/busybox awk "{print int((\$2-\$1)*100)}") $ok"'
bash_loop='t0=$(cut -d" " -f1 /proc/uptime); ok=ok
for i in $(seq 100); do /bin/true || ok=failed; done
t1=$(cut -d" " -f1 /proc/uptime); echo "elapsed $(echo "$t0 $t1" | awk "{print int((\$2-\$1)*100)}") $ok"'
python_loop='t0=$(cut -d" " -f1 /proc/uptime); ok=ok
for i in $(seq 10); do python3 -c "import json, sqlite3" || ok=failed; done
t1=$(cut -d" " -f1 /proc/uptime); echo "elapsed $(echo "$t0 $t1" | awk "{print int((\$2-\$1)*100)}") $ok"'

json() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# spec NAME ROOT-YAML SHELL SCRIPT [FILES-YAML]
spec() {
  cat > "$work/$1.yaml" <<YAML
apiVersion: krunctl/v1
name: spawn-$1
memory: 512Mi
root: $2
${5:-}
process:
  args: [$3, "-c", $(json "$4")]
YAML
  echo "$work/$1.yaml"
}

# Both sides of each workload: default settings first, then the floor.
sides() {
  case "$1" in
    nullfs-virtual)
      spec "$1" "{nullfs: {}}" "/bin/busybox, sh" "$busybox_loop" \
        'files: [{path: /bin/busybox, source: /bin/busybox, mode: "0755"}]'
      spec "$1-floor" "{dir: $tree, cache: always}" "/bin/busybox, sh" "$busybox_loop" ;;
    dir-host)
      spec "$1" "{dir: $tree}" "/bin/busybox, sh" "$busybox_loop"
      spec "$1-floor" "{dir: $tree, cache: always}" "/bin/busybox, sh" "$busybox_loop" ;;
    debian-bash)
      spec "$1" "{dir: $debian, readOnly: true}" /bin/bash "$bash_loop"
      spec "$1-floor" "{dir: $debian, readOnly: true, cache: always}" /bin/bash "$bash_loop" ;;
    debian-python)
      spec "$1" "{dir: $debian, readOnly: true}" /bin/sh "$python_loop"
      spec "$1-floor" "{dir: $debian, readOnly: true, cache: always}" /bin/sh "$python_loop" ;;
  esac
}

measure() {
  local out
  out="$(./krunctl run "$1" 2>> "$work/krunctl.log")" || true
  case "$out" in
    "elapsed "*" ok") set -- $out; echo "$2" ;;
    *) echo "bench: $1 failed: $out (stderr in $work/krunctl.log kept below)" >&2; tail -5 "$work/krunctl.log" >&2; exit 70 ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-16s %12s %10s %8s  %s\n' workload "default(cs)" "floor(cs)" ratio "every run (default / floor)"
for w in "${order[@]}"; do
  mapfile -t specs < <(sides "$w")
  d=(); f=()
  # The sides take turns going first, so a drift over the repeats favours neither.
  for i in $(seq 1 "$repeats"); do
    if [ $((i % 2)) -eq 1 ]; then
      d+=("$(measure "${specs[0]}")"); f+=("$(measure "${specs[1]}")")
    else
      f+=("$(measure "${specs[1]}")"); d+=("$(measure "${specs[0]}")")
    fi
  done
  dm="$(printf '%s\n' "${d[@]}" | median)"
  fm="$(printf '%s\n' "${f[@]}" | median)"
  ratio="$(awk -v a="$dm" -v b="$fm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  printf '%-16s %12s %10s %8s  %s / %s\n' "$w" "$dm" "$fm" "$ratio" "${d[*]}" "${f[*]}"
done
