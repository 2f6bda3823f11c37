package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rest of the guest init's contract (guest/README.md, stage 1 steps 1, 3 and 12), checked from
 * inside a booted guest rather than by reading the init: cgroup2 on /sys/fs/cgroup, the /dev/fd
 * link, devpts on /dev/pts, a tmpfs on /dev/shm, shared propagation on /, and orphaned processes
 * adopted and reaped by PID 1.
 */
class InitContractIT {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    /** The guest's checks: each prints "ok NAME" or "FAIL NAME"; "info:" lines are for a failure's message. */
    private static final String SCRIPT = """
            B=/bin/busybox
            check() { if eval "$2"; then echo "ok $1"; else echo "FAIL $1"; fi; }
            # Whether /proc/mounts has a mount of type $2 on $1.
            mounted() { $B awk -v m="$1" -v t="$2" '$2 == m && $3 == t { found = 1 } END { exit !found }' /proc/mounts; }
            # Whether every mountinfo line of / (field 5 is the mount point) has a shared peer group.
            root_shared() {
              $B awk '$5 == "/" { n++; if ($0 !~ / shared:[0-9]+ /) bad = 1 } END { exit !(n && !bad) }' /proc/self/mountinfo
            }
            # The status files of processes in state Z.
            zombies() { for s in /proc/[0-9]*/status; do $B grep -q '^State:.Z' "$s" 2>/dev/null && echo "$s"; done; }

            check cgroup2 'mounted /sys/fs/cgroup cgroup2'
            check cgroup2-usable '$B mkdir /sys/fs/cgroup/probe && $B rmdir /sys/fs/cgroup/probe'
            check dev-fd-link '[ "$($B readlink /dev/fd)" = /proc/self/fd ]'
            check dev-fd-0 '$B ls /dev/fd/0 >/dev/null'
            check devpts 'mounted /dev/pts devpts'
            check pty-allocates '(exec 5<>/dev/ptmx && $B ls /dev/pts | $B grep -q "^[0-9]")'
            check shm-tmpfs 'mounted /dev/shm tmpfs'
            check shm-writable 'echo x > /dev/shm/probe && [ "$($B cat /dev/shm/probe)" = x ]'
            check root-shared root_shared

            # Orphans: each inner shell starts a sleep in the background and exits at once, so the
            # sleep's parent is gone and PID 1 must adopt it and reap it when it ends.
            adopted=$($B sh -c "$B sleep 2 >/dev/null 2>&1 & echo \\$!")
            check orphan-adopted '[ "$($B awk "/^PPid:/ { print \\$2 }" /proc/$adopted/status)" = 1 ]'
            pids=$adopted
            for i in 1 2 3 4 5 6 7 8; do
              pids="$pids $($B sh -c "$B sleep 0.2 >/dev/null 2>&1 & echo \\$!")"
            done
            i=0
            while [ $i -lt 150 ]; do
              left=""
              for p in $pids; do [ -e /proc/$p ] && left="$left $p"; done
              [ -z "$left" ] && [ -z "$(zombies)" ] && break
              $B sleep 0.1
              i=$((i + 1))
            done
            check orphans-reaped '[ -z "$left" ]'
            check no-zombies '[ -z "$(zombies)" ]'

            echo "info: orphans left:$left; zombies: $(zombies | $B tr '\\n' ' ')"
            $B grep -E ' (/|/sys/fs/cgroup|/dev/pts|/dev/shm) ' /proc/self/mountinfo | $B sed 's/^/info: /'
            echo "info: /dev/fd -> $($B readlink /dev/fd)"
            """;

    @Test
    void theGuestHasTheMountsLinksAndReapingTheInitPromises() throws Exception {
        String files = "  - {path: /check.sh, content: " + Krunctl.quote(SCRIPT) + "}\n";
        Path spec = Krunctl.busyboxSpec(dir, "init-contract", files, "/bin/busybox", "sh", "/check.sh");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stdout: %s stderr: %s", r.stdoutText(), r.stderr()).isZero();
        List<String> lines = r.stdoutText().lines().toList();
        assertThat(lines).as("guest checks; all output:\n%s", r.stdoutText()).contains(
                "ok cgroup2", "ok cgroup2-usable", "ok dev-fd-link", "ok dev-fd-0", "ok devpts", "ok pty-allocates",
                "ok shm-tmpfs", "ok shm-writable", "ok root-shared", "ok orphan-adopted", "ok orphans-reaped",
                "ok no-zombies");
        assertThat(lines).as("all output:\n%s", r.stdoutText()).noneMatch(l -> l.startsWith("FAIL"));
    }
}
