package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code process.pid1}: the workload replaces the init as PID 1 ({@code KRUN_INIT_PID1}), and still
 * gets its streams, the host's signals (through the init's control relay, a child left behind) and
 * its exit code back to the host (from the kernel's panic when PID 1 exits), as without it.
 */
class Pid1IT {
    private static final Duration BOOT = Duration.ofMinutes(2);
    private static final Duration EXIT = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    private Path spec(String name, String script) throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, name, "", "/bin/busybox", "sh", "-c", script);
        Files.writeString(spec, Files.readString(spec) + "  pid1: true\n");
        return spec;
    }

    @Test
    void theWorkloadIsPid1AndItsExitStatusIsKrunctls() throws Exception {
        Path spec = spec("pid1-exit", "echo \"pid $$, parent $PPID\"; echo to-stderr >&2; exit 7");

        Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(7);
        assertThat(r.stdoutText()).isEqualTo("pid 1, parent 0\n");
        assertThat(r.stderr()).isEqualTo("to-stderr\n");
    }

    @Test
    void aHostSigtermReachesATrapOfPid1() throws Exception {
        Path spec = spec("pid1-term", "trap 'echo got TERM; exit 42' TERM; echo ready;"
                + " while :; do /bin/busybox sleep 0.1; done");

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            k.awaitStdout("ready\n", BOOT);
            k.signal("TERM");

            assertThat(k.awaitExit(EXIT)).as("exit code; stderr: %s", k.stderr()).isEqualTo(42);
            assertThat(k.stdoutToEnd()).isEqualTo("ready\ngot TERM\n");
        }
    }

    @Test
    void aProgramThatCannotBeExecutedIs127WithItsReason() throws Exception {
        // Also the init's kept root descriptor: on a NullFs root the kernel starts the init with
        // 0-2 closed, and PID 1 mode's stdin redirect used to close the descriptor the exit code
        // travels on (then 0 or 70 instead of 127, about one run in two).
        Path spec = Krunctl.busyboxSpec(dir, "pid1-missing", "", "/bin/missing");
        Files.writeString(spec, Files.readString(spec) + "  pid1: true\n");

        for (int run = 0; run < 2; run++) {
            Krunctl.Result r = Krunctl.run(new byte[0], "run", spec.toString());
            assertThat(r.exitCode()).as("run %d; stderr: %s", run, r.stderr()).isEqualTo(127);
            assertThat(r.stderr()).isEqualTo("krun-init: cannot execute /bin/missing: No such file or directory\n");
        }
    }
}
