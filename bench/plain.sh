#!/usr/bin/env bash
# krunctl end to end against a plain setup a user could build by hand: QEMU (-M pc, the same
# kernel, CPUs and memory) with the distribution's C virtiofsd (-o cache=auto) serving a directory,
# and a busybox initramfs that mounts it on /mnt and runs each phase with its own busybox, from RAM.
# krunctl runs the same phases as a user would write them: a spec whose root is that directory,
# every command a busybox started from the virtio-fs root. So this measures what a user feels (the
# process starts included), where bench/fs.sh swaps only the device under krunctl's own setup.
# Phases, each timed inside the guest and checked for success:
#   read-128M          dd of a 128 MiB file
#   write-64M-fsync    dd of 64 MiB with fsync, then rm
#   walk-ls-2000       find and ls -lR over a 2,000-file tree
#   untar-900          tar -x of ~900 source files, then rm -r
# Prints the median of each phase per side and the ratio krunctl / plain (target: <= 0.90), with
# every run's time. The sides alternate.
# Needs a built tree (make build). Both sides boot Debian's kernel (from krunctl's debug log): krunctl's
# own kernel has no initramfs support, which the plain setup needs.
# Usage: bench/plain.sh [REPEATS]   (default: 5)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
repeats="${1:-5}"
virtiofsd=/usr/lib/qemu/virtiofsd
for need in /bin/busybox "$virtiofsd" cpio; do
  command -v "$need" >/dev/null || [ -x "$need" ] || { echo "bench: $need is missing" >&2; exit 69; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
share="$work/share"
mkdir -p "$share/bin" "$share/dev" "$share/proc" "$share/sys" "$share/data/tree"
cp /bin/busybox "$share/bin/busybox"
echo "bench: preparing the data set" >&2
head -c $((128 << 20)) /dev/urandom > "$share/data/big"
for d in $(seq 1 20); do
  mkdir "$share/data/tree/d$d"
  for f in $(seq 1 100); do echo "$d $f" > "$share/data/tree/d$d/f$f"; done
done
# About 900 source files: this repository's Java and Rust sources, several times over.
mkdir -p "$work/src"
i=0
while [ "$(find "$work/src" -type f | wc -l)" -lt 900 ]; do
  i=$((i + 1))
  mkdir "$work/src/copy$i"
  git ls-files -z -- '*.java' '*.rs' | xargs -0 cp --parents -t "$work/src/copy$i"
done
files="$(find "$work/src" -type f | wc -l)"
tar -C "$work" -cf "$share/data/src.tar" src
sync

# The phases, for busybox sh, on the data under $D. Each prints "phase NAME CENTISECONDS ok|failed".
phases='p() { n=$1; shift; t0=$(awk "{print int(\$1 * 100)}" /proc/uptime); if eval "$*"; then ok=ok; else ok=failed; fi
  t1=$(awk "{print int(\$1 * 100)}" /proc/uptime); echo "phase $n $((t1 - t0)) $ok"; }
p read-128M "dd if=$D/big of=/dev/null bs=1M 2>/dev/null"
p write-64M-fsync "dd if=/dev/zero of=$D/out bs=1M count=64 conv=fsync 2>/dev/null && rm $D/out"
p walk-ls-2000 "[ \$(find $D/tree | wc -l) -eq 2021 ] && ls -lR $D/tree > /dev/null"
p untar-900 "mkdir $D/x && tar -C $D/x -xf $D/src.tar && [ \$(find $D/x -type f | wc -l) -eq '"$files"' ] && rm -r $D/x"'
order=(read-128M write-64M-fsync walk-ls-2000 untar-900)

cat > "$work/krunctl.yaml" <<YAML
apiVersion: krunctl/v1
name: plain-compare
cpus: 1
memory: 512Mi
kernel: debian
root: {dir: $share}
process:
  args: [/bin/busybox, sh, -c, $(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "export PATH=/bin; /bin/busybox --install -s /bin; D=/data; $phases")]
YAML

# The same kernel: the one in krunctl's QEMU command line (with its modules, if it needs any).
./krunctl --debug run "$work/krunctl.yaml" > /dev/null 2> "$work/debug.log" || { cat "$work/debug.log" >&2; exit 70; }
argv="$(sed -n 's/^.*starting \[\(.*\)\]$/\1/p' "$work/debug.log" | head -n 1)"
kernel="$(printf '%s' "$argv" | sed 's/, /\n/g' | sed -n '/^-kernel$/{n;p}')"
[ -f "$kernel" ] || { echo "bench: no kernel in krunctl's QEMU command line" >&2; exit 70; }

ird="$work/initramfs"
mkdir -p "$ird/bin" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/mnt" "$ird/modules"
cp /bin/busybox "$ird/bin/busybox"
if printf '%s' "$argv" | grep -q -- ', -initrd, '; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/krunctl/kernel"
  release="$(basename "$(dirname "$kernel")")"
  for m in $(sed -n 's/^modules=//p' "$cache/$release/manifest"); do
    cp "$cache/$release/modules/$m.ko" "$ird/modules/"
    echo "$m" >> "$ird/modules/order"
  done
fi
cat > "$ird/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
[ -f /modules/order ] && for m in \$(cat /modules/order); do insmod /modules/\$m.ko; done
mount -t virtiofs share /mnt
D=/mnt/data
$phases
poweroff -f
INIT
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet) > "$work/plain.cpio"

run_plain() {
  rm -f "$work/vfsd.sock"
  "$virtiofsd" --socket-path="$work/vfsd.sock" -o source="$share" -o cache=auto -o xattr -o sandbox=chroot \
    2>> "$work/virtiofsd.log" &
  local vfsd=$!
  while [ ! -S "$work/vfsd.sock" ]; do sleep 0.005; done
  qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 1 -m 512M \
    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
    -nodefaults -no-user-config -display none -vga none -monitor none -no-reboot \
    -kernel "$kernel" -initrd "$work/plain.cpio" -append "console=ttyS0 quiet panic=-1" \
    -serial "file:$work/plain.out" \
    -chardev "socket,id=vfs,path=$work/vfsd.sock" -device vhost-user-fs-pci,chardev=vfs,tag=share,queue-size=1024 \
    2>> "$work/qemu.log" || true
  wait "$vfsd" || true
  tr -d '\r' < "$work/plain.out"
}

run_krunctl() {
  ./krunctl run "$work/krunctl.yaml" 2>> "$work/krunctl.log"
}

# Appends each phase's time to $work/SIDE.PHASE; any failed or missing phase ends the bench.
record() {
  local side="$1" out="$2" name
  for name in "${order[@]}"; do
    local line
    line="$(printf '%s\n' "$out" | grep "^phase $name " || true)"
    case "$line" in
      *" ok") set -- $line; echo "$3" >> "$work/$side.$name" ;;
      *) echo "bench: phase $name failed on $side: \"$line\"; output:" >&2; printf '%s\n' "$out" | tail -20 >&2; exit 70 ;;
    esac
  done
}

for i in $(seq 1 "$repeats"); do
  if [ $((i % 2)) -eq 1 ]; then
    record krunctl "$(run_krunctl)"; record plain "$(run_plain)"
  else
    record plain "$(run_plain)"; record krunctl "$(run_krunctl)"
  fi
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "kernel: $kernel; $files source files in the tarball; $repeats runs per side"
printf '%-18s %12s %10s %8s  %s\n' phase "krunctl(cs)" "plain(cs)" ratio "every run (krunctl / plain)"
for name in "${order[@]}"; do
  km="$(median < "$work/krunctl.$name")"
  pm="$(median < "$work/plain.$name")"
  ratio="$(awk -v a="$km" -v b="$pm" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
  printf '%-18s %12s %10s %8s  %s / %s\n' "$name" "$km" "$pm" "$ratio" "$(tr '\n' ' ' < "$work/krunctl.$name")" \
    "$(tr '\n' ' ' < "$work/plain.$name")"
done
