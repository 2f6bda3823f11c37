#!/usr/bin/env bash
# Trains krunctl's AOT cache (JDK 25: classes parsed and linked ahead of time, plus the method
# profiles of the run, so the JIT compiles the hot paths sooner) on one real run that does what
# users' runs do: a host directory as the root with virtual files over it, an extra read-only share,
# a tmpfs, and a guest that creates, writes, syncs, lists, reads, renames, links, archives and
# removes a few hundred files. Training on the tiny hello VM alone leaves the virtio-fs request path
# to the interpreter for the first thousands of requests of every run.
# Usage: scripts/aot-train.sh OUTPUT   (needs a built tree and busybox-static)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/dev" "$work/root/proc" "$work/root/sys" "$work/root/tmp" \
  "$work/root/work" "$work/root/shared" "$work/shared"
cp /bin/busybox "$work/root/bin/busybox"
for i in $(seq 1 50); do echo "shared file $i" > "$work/shared/s$i"; done

cat > "$work/root/train.sh" <<'SH'
set -e
export PATH=/bin
/bin/busybox --install -s /bin
cat /etc/motd /etc/banner > /dev/null
cd /work
for i in $(seq 1 300); do echo "line $i" > "f$i"; stat "f$i" > /dev/null; done
mkdir -p d/e/f
cp -a f1 f2 f3 d/e/f/
chmod 600 f4; touch -d '2020-01-01 00:00' f5; chown 1:1 f6
mv f7 d/moved; ln -s d/moved sym; readlink sym > /dev/null; ln f8 hard
dd if=/dev/zero of=big bs=64k count=128 conv=fsync 2> /dev/null
dd if=big of=/dev/null bs=64k 2> /dev/null
tar -cf /tmp/t.tar .
mkdir /work/x && tar -C /work/x -xf /tmp/t.tar
find /work /shared | wc -l > /dev/null
cat /work/x/f* /shared/* > /dev/null
ls -lR /work > /dev/null
df / > /dev/null
sync
cd / && rm -r /work/x /work/d /work/f* /work/sym /work/hard /work/big
SH

cat > "$work/train.yaml" <<YAML
apiVersion: krunctl/v1
name: aot-training
memory: 256Mi
root:
  dir: $work/root
files:
  - {path: /etc/motd, content: "trained\n"}
  - {path: /etc/banner, source: $work/shared/s1}
mounts:
  - {type: virtiofs, source: $work/shared, destination: /shared, readOnly: true}
  - {type: tmpfs, destination: /tmp}
process:
  args: ["/bin/busybox", "sh", "/train.sh"]
YAML

rm -f "$output"
KRUNCTL_AOT_OUTPUT="$output" "$root/krunctl" run "$work/train.yaml" < /dev/null > /dev/null
