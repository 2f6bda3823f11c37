#!/usr/bin/env bash
# Standing targets of krunctl, measured against the reference stack in one run:
#   1. `krunctl run` of a one-line workload vs bare QEMU + the distribution's C virtiofsd doing the
#      same (same kernel, same initramfs if any, same init, same QEMU command line, same guest workload);
#      target: ratio <= 1.10.
#   2. krunctl's own peak RSS (the Java process; QEMU and guest RAM excluded); target < 48 MiB.
#   3. `krunctl --version`; target < 150 ms.
# Prints figures; asserts nothing. Needs a built tree (make build), hyperfine and cpio.
# Usage: bench/startup.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${1:-10}"
for tool in hyperfine cpio; do
  command -v "$tool" >/dev/null || { echo "bench: install $tool (apt-get install $tool)" >&2; exit 69; }
done
virtiofsd=/usr/lib/qemu/virtiofsd
[ -x "$virtiofsd" ] || { echo "bench: $virtiofsd missing (package qemu-system-common)" >&2; exit 69; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
spec="$work/one-line.yaml"
cat > "$spec" <<'YAML'
apiVersion: krunctl/v1
name: oneline
memory: 256Mi
root:
  nullfs: {}
files:
  - {path: /bin/busybox, source: /bin/busybox, mode: "0755"}
  - {path: /etc/motd, content: "hello from a microVM\n"}
process:
  args: [/bin/busybox, cat, /etc/motd]
YAML

# krunctl's exact QEMU command line, taken from its debug log.
./krunctl --debug run "$spec" > /dev/null 2> "$work/debug.log"
argv_line="$(sed -n 's/^.*starting \[\(.*\)\]$/\1/p' "$work/debug.log" | head -n 1)"
[ -n "$argv_line" ] || { echo "bench: no QEMU command line in krunctl's debug log" >&2; exit 70; }
IFS=$'\n' read -r -d '' -a qemu_argv < <(printf '%s' "$argv_line" | sed 's/, /\n/g'; printf '\0') || true

# The reference root: the same entries krunctl serves virtually, as real files.
share="$work/share"
mkdir -p "$share/bin" "$share/etc" "$share/dev" "$share/proc" "$share/sys"
cp /bin/busybox "$share/bin/busybox"
printf 'hello from a microVM\n' > "$share/etc/motd"
init="$root/init-blob/target/classes/io/krunctl/initblob/krun-init"
cp "$init" "$share/init.krun"
printf '{"process":{"args":["/bin/busybox","cat","/etc/motd"],"env":[],"cwd":"/"}}' > "$share/.krun_config.json"

# The same initramfs where krunctl used one (a kernel with virtio as modules): the init as /init,
# the kernel's modules and their load order. A kernel with the drivers built in needs none.
if printf '%s\n' "${qemu_argv[@]}" | grep -qx -- -initrd; then
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/krunctl/kernel"
  release="$(cat "$cache/current-linux-image-cloud-amd64")"
  ird="$work/initramfs"
  mkdir -p "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/krunctl/modules"
  mknod -m 0600 "$ird/dev/console" c 5 1
  cp "$init" "$ird/init"
  : > "$ird/krunctl/modules.order"
  for m in $(sed -n 's/^modules=//p' "$cache/$release/manifest"); do
    cp "$cache/$release/modules/$m.ko" "$ird/krunctl/modules/"
    echo "/krunctl/modules/$m.ko" >> "$ird/krunctl/modules.order"
  done
  (cd "$ird" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"
fi

# The reference QEMU command: krunctl's, with the root socket pointing at virtiofsd and the stdio
# ports on plain files (stdout is read back to check the workload ran).
ref_argv=()
skip_next=0
for ((i = 0; i < ${#qemu_argv[@]}; i++)); do
  a="${qemu_argv[$i]}"
  case "$a" in
    socket,id=rootfs,*) a="socket,id=rootfs,path=$work/vfsd.sock" ;;
    socket,id=stdin,*) a="null,id=stdin" ;;
    socket,id=stdout,*) a="file,id=stdout,path=$work/ref-stdout" ;;
    socket,id=stderr,*) a="file,id=stderr,path=$work/ref-stderr" ;;
    socket,id=control,*) a="null,id=control" ;;
    socket,id=agent,*) a="null,id=agent" ;;
    socket,id=qmp,*) a="null,id=qmp" ;;
    file,id=console,*) a="file,id=console,path=$work/ref-console.log" ;;
    */initramfs.cpio) a="$work/initramfs.cpio" ;;
  esac
  ref_argv+=("$a")
done
{
  echo '#!/usr/bin/env bash'
  echo 'set -euo pipefail'
  printf 'rm -f %q\n' "$work/vfsd.sock"
  printf '%q --socket-path=%q -o source=%q -o cache=auto -o sandbox=chroot 2>>%q &\n' \
    "$virtiofsd" "$work/vfsd.sock" "$share" "$work/virtiofsd.log"
  echo 'vfsd=$!'
  printf 'while [ ! -S %q ]; do sleep 0.005; done\n' "$work/vfsd.sock"
  printf '%q ' "${ref_argv[@]}"; echo
  echo 'wait $vfsd || true'
} > "$work/reference.sh"

bash "$work/reference.sh"
grep -q "hello from a microVM" "$work/ref-stdout" || { echo "bench: the reference run did not print the motd" >&2; exit 70; }

echo "== 1. one-line workload: krunctl vs QEMU + C virtiofsd ($runs runs each)"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/run.json" \
  -n krunctl "$root/krunctl run $spec" \
  -n reference "bash $work/reference.sh" >&2
python3 - "$work/run.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
k, ref = r["krunctl"]["mean"], r["reference"]["mean"]
print(f"krunctl {k*1000:.0f} ms, reference {ref*1000:.0f} ms, ratio {k/ref:.3f} (target <= 1.10)")
PY

echo "== 2. krunctl's peak RSS (Java process only, guest RAM excluded)"
# Guest RAM is a shared memfd that the virtio-fs device maps; the pages it touches count as RssShmem
# of krunctl. The target is krunctl's own memory: anonymous plus file-backed pages, sampled at 20 Hz.
./krunctl run "$spec" > /dev/null &
launcher=$!
peak=0
while kill -0 "$launcher" 2>/dev/null; do
  own="$(awk '/^RssAnon:|^RssFile:/ {sum += $2} END {print sum + 0}' "/proc/$launcher/status" 2>/dev/null || echo 0)"
  [ "$own" -gt "$peak" ] && peak="$own"
  sleep 0.05
done
echo "peak RSS $((peak / 1024)) MiB ($peak kB) (target < 48 MiB)"

echo "== 3. krunctl --version"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/version.json" "$root/krunctl --version" >&2
python3 - "$work/version.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"--version mean {r['mean']*1000:.0f} ms, min {r['min']*1000:.0f} ms (target < 150 ms)")
PY
