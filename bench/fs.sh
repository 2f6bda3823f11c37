#!/usr/bin/env bash
# virtio-fs workloads: krunctl's device (PassthroughFs, in the krunctl process) against QEMU + the
# distribution's C virtiofsd, on the same directory, the same kernel, initramfs, init, QEMU command
# line and guest workload, in one run. Each workload boots a fresh VM (cold guest cache) and times
# itself inside the guest, so boot time is left out. Prints one ratio per workload
# (krunctl time / virtiofsd time of the medians; <= 1.0 means krunctl is at least as fast), and every
# run's time, since a 2-core machine running TCG varies by 10-20 % from run to run.
# VIRTIOFSD_OPTIONS adds options to the reference's command line (e.g. "-o no_xattr").
# Needs a built tree (make build) and busybox-static; the distribution kernel must be in krunctl's
# cache (any krunctl run puts it there).
# Both sides boot the Debian kernel with krunctl's initramfs: the comparison is of the devices, and
# the reference's stdout port stayed empty when it booted krunctl's own kernel straight from
# virtiofsd's share (not yet understood).
# Usage: bench/fs.sh [REPEATS [WORKLOAD...]]   (default: 3 repeats of every workload)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
repeats="${1:-3}"
shift || true
virtiofsd=/usr/lib/qemu/virtiofsd
# shellcheck source=scripts/java-home.sh
. scripts/java-home.sh
for need in /bin/busybox "$virtiofsd"; do
  command -v "$need" >/dev/null || [ -x "$need" ] || { echo "bench: $need is missing" >&2; exit 69; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
share="$work/share"
mkdir -p "$share/bin" "$share/dev" "$share/proc" "$share/sys" "$share/tmp" "$share/data"
cp /bin/busybox "$share/bin/busybox"

echo "bench: preparing the data set" >&2
head -c $((128 << 20)) /dev/urandom > "$share/data/big"
mkdir -p "$share/data/small"
for i in $(seq 1 2000); do head -c 4096 /dev/urandom > "$share/data/small/f$i"; done
mkdir -p "$share/data/tree"
for d in $(seq 1 100); do
  mkdir "$share/data/tree/d$d"
  for f in $(seq 1 99); do : > "$share/data/tree/d$d/f$f"; done
done
# A source tree to untar: the Rust guest sources and the Java sources of this repository, many times.
mkdir -p "$work/src"
for i in $(seq 1 20); do cp -r "$root/virtiofs/src" "$work/src/copy$i"; done
tar -C "$work" -cf "$share/data/src.tar" src
# krunctl's initramfs lives in its private runtime directory, gone when it exits: the reference
# boots a copy made by the same builder from the same init and modules.
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$root/cli/target/krunctl-cli.jar:$root/cli/target/lib/*" \
  "$root/bench/ReferenceInitramfs.java" "$work/initramfs.cpio"
# The data set is some 300 MB just written: flush it now, or the host's writeback competes with
# whichever side runs first.
sync

# Each workload: a busybox sh snippet. It prints "elapsed <centiseconds>" measured inside the guest.
declare -A workloads=(
  [seq-read-128M]='dd if=/data/big of=/dev/null bs=1M 2>/dev/null'
  [seq-write-64M-fsync]='dd if=/dev/zero of=/data/out bs=1M count=64 conv=fsync 2>/dev/null && rm /data/out'
  [create-stat-unlink-2000]='mkdir /data/c && i=0 && while [ $i -lt 2000 ]; do : > /data/c/f$i && stat /data/c/f$i >/dev/null || break; i=$((i+1)); done && [ $i -eq 2000 ] && rm -r /data/c'
  [walk-10000]='[ "$(find /data/tree | wc -l)" -eq 10001 ]'
  [read-2000-small]='cat /data/small/* > /dev/null'
  [untar-source-tree]='mkdir /data/x && tar -C /data/x -xf /data/src.tar && rm -r /data/x'
)
order=(seq-read-128M seq-write-64M-fsync create-stat-unlink-2000 walk-10000 read-2000-small untar-source-tree)
if [ $# -gt 0 ]; then
  for w in "$@"; do
    [ -n "${workloads[$w]+x}" ] || { echo "bench: no workload '$w'; choose from: ${order[*]}" >&2; exit 64; }
  done
  order=("$@")
fi

wrap() {
  # /proc/uptime has centisecond resolution, enough for workloads of a second or more under TCG.
  # "ok" follows the time only if the workload succeeded: a side that fails fast must not look fast.
  printf 'export PATH=/bin; /bin/busybox --install -s /bin 2>/dev/null; t0=$(awk "{print int(\$1 * 100)}" /proc/uptime); if { %s; }; then ok=ok; else ok=failed; fi; t1=$(awk "{print int(\$1 * 100)}" /proc/uptime); echo "elapsed $((t1 - t0)) $ok"' "$1"
}

# The time a side's output reports, or the end of the bench if the workload failed.
elapsed() {
  local side="$1" out
  out="$(sed -n 's/^elapsed //p')"
  case "$out" in
    *" ok") echo "${out% ok}" ;;
    *) echo "bench: the workload failed on $side (\"$out\"); the last lines of its logs:" >&2
       tail -n 5 "$work/krunctl.log" "$work/ref-stdout" "$work/qemu.log" 2>/dev/null >&2; return 70 ;;
  esac
}

spec_for() {
  local name="$1" script="$2"
  cat > "$work/$name.yaml" <<YAML
apiVersion: krunctl/v1
name: bench-${name,,}
memory: 512Mi
kernel: debian
root:
  dir: $share
process:
  args: ["/bin/busybox", "sh", "-c", $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$script")]
YAML
  echo "$work/$name.yaml"
}

# The reference stack runs krunctl's own QEMU command line with the root socket on virtiofsd; the
# command line comes from krunctl's debug log of the same workload, taken once per workload.
run_reference() {
  local spec="$1"
  local argv_file="${spec%.yaml}.argv"
  if [ ! -s "$argv_file" ]; then
    ./krunctl --debug run "$spec" > /dev/null 2> "$work/debug.log" || true
    sed -n 's/^.*starting \[\(.*\)\]$/\1/p' "$work/debug.log" | head -n 1 > "$argv_file"
  fi
  local argv_line
  argv_line="$(cat "$argv_file")"
  [ -n "$argv_line" ] || { echo "bench: no QEMU command line in krunctl's debug log" >&2; exit 70; }
  local -a argv ref
  IFS=$'\n' read -r -d '' -a argv < <(printf '%s' "$argv_line" | sed 's/, /\n/g'; printf '\0') || true
  for a in "${argv[@]}"; do
    case "$a" in
      socket,id=rootfs,*) a="socket,id=rootfs,path=$work/vfsd.sock" ;;
      socket,id=stdin,*|socket,id=control,*|socket,id=qmp,*|socket,id=agent,*) id="${a#socket,id=}"; a="null,id=${id%%,*}" ;;
      socket,id=stdout,*) a="file,id=stdout,path=$work/ref-stdout" ;;
      socket,id=stderr,*) a="file,id=stderr,path=$work/ref-stderr" ;;
      file,id=console,*) a="file,id=console,path=$work/ref-console.log" ;;
      */initramfs.cpio) a="$work/initramfs.cpio" ;;
    esac
    ref+=("$a")
  done
  # Without krunctl's virtual entries the reference share needs the init and its config as files.
  cp "$root/init-blob/target/classes/io/krunctl/initblob/krun-init" "$share/init.krun"
  python3 - "$spec" "$share/.krun_config.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
args = json.loads(re.search(r'args: (\[.*\])', text).group(1))
json.dump({"process": {"args": args, "env": ["PATH=/bin"], "cwd": "/"}}, open(sys.argv[2], "w"))
PY
  rm -f "$work/vfsd.sock" "$work/ref-stdout"
  # Both sides serve the same features: krunctl passes extended attributes through, virtiofsd only
  # with -o xattr (without it the guest stops asking after the first ENOSYS, and every write of the
  # untar saves a GETXATTR round trip for security.capability that krunctl answers).
  "$virtiofsd" --socket-path="$work/vfsd.sock" -o source="$share" -o cache=auto -o xattr -o sandbox=chroot \
    ${VIRTIOFSD_OPTIONS:-} 2>> "$work/virtiofsd.log" &
  local vfsd=$!
  while [ ! -S "$work/vfsd.sock" ]; do sleep 0.005; done
  "${ref[@]}" > /dev/null 2>> "$work/qemu.log" || true
  wait "$vfsd" || true
  rm -f "$share/init.krun" "$share/.krun_config.json"
  elapsed virtiofsd < "$work/ref-stdout"
}

run_krunctl() {
  ./krunctl run "$1" 2>> "$work/krunctl.log" | elapsed krunctl
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-26s %12s %12s %8s  %s\n' workload "krunctl(cs)" "virtiofsd(cs)" ratio "every run (krunctl / virtiofsd)"
for w in "${order[@]}"; do
  spec="$(spec_for "$w" "$(wrap "${workloads[$w]}")")"
  k=(); r=()
  # The sides take turns going first, so a drift over the repeats (a warming host, a noisy
  # neighbour) does not favour one of them.
  for i in $(seq 1 "$repeats"); do
    if [ $((i % 2)) -eq 1 ]; then
      k+=("$(run_krunctl "$spec")")
      r+=("$(run_reference "$spec")")
    else
      r+=("$(run_reference "$spec")")
      k+=("$(run_krunctl "$spec")")
    fi
  done
  km="$(printf '%s\n' "${k[@]}" | median)"
  rm_="$(printf '%s\n' "${r[@]}" | median)"
  ratio="$(awk -v a="$km" -v b="$rm_" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  printf '%-26s %12s %12s %8s  %s / %s\n' "$w" "$km" "$rm_" "$ratio" "${k[*]}" "${r[*]}"
done
