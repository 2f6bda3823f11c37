package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals sent to krunctl reach the workload in the guest, and krunctl exits with what the workload
 * made of them; a second SIGINT/SIGTERM and the time limits stop the VM hard. Every signal is sent
 * only once the workload has said on stdout that its handlers are in place.
 */
class SignalIT {
    private static final Duration BOOT = Duration.ofMinutes(2);
    private static final Duration EXIT = Duration.ofMinutes(1);
    /** busybox sh runs a trap after the current command, so the loop sleeps in short steps. */
    private static final String LOOP = "echo ready; while :; do /bin/busybox sleep 0.1; done";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void everyForwardedSignalReachesTheWorkloadAndSigtermsHandlerDecidesTheExitCode() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "traps", "", "/bin/busybox", "sh", "-c",
                "for s in HUP QUIT USR1 USR2; do trap \"echo got $s\" $s; done; "
                        + "trap 'echo got TERM; exit 3' TERM; " + LOOP);

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            k.awaitStdout("ready\n", BOOT);
            for (String s : new String[] {"HUP", "QUIT", "USR1", "USR2"}) {
                k.signal(s);
                k.awaitStdout("got " + s + "\n", EXIT);
            }
            k.signal("TERM");

            assertThat(k.awaitExit(EXIT)).as("exit code; stderr: %s", k.stderr()).isEqualTo(3);
            assertThat(k.stdoutToEnd()).isEqualTo("ready\ngot HUP\ngot QUIT\ngot USR1\ngot USR2\ngot TERM\n");
            assertThat(k.stderr()).isEmpty();
        }
    }

    @Test
    void anUntrappedSigtermKillsTheWorkloadAndKrunctlExits143() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "untrapped", "", "/bin/busybox", "sh", "-c", LOOP);

        try (KrunctlProcess k = KrunctlProcess.start("run", spec.toString())) {
            k.awaitStdout("ready\n", BOOT);
            k.signal("TERM");

            assertThat(k.awaitExit(EXIT)).as("exit code; stderr: %s", k.stderr()).isEqualTo(143);
            assertThat(k.stderr()).isEmpty();
        }
    }

    @Test
    void aSecondSigintStopsAWorkloadThatDoesNotExitOnTheFirstAndKrunctlExits130() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "stubborn", "", "/bin/busybox", "sh", "-c",
                "trap 'echo got INT' INT; " + LOOP);

        // A stop timeout far longer than the test: only the second signal can end it in time.
        try (KrunctlProcess k = KrunctlProcess.start("run", "--stop-timeout", "10m", spec.toString())) {
            k.awaitStdout("ready\n", BOOT);
            k.signal("INT");
            // Two signals of one kind pending at once merge into one: send the second after the first.
            k.awaitStdout("got INT\n", EXIT);
            k.signal("INT");

            assertThat(k.awaitExit(EXIT)).as("exit code; stderr: %s", k.stderr()).isEqualTo(130);
            assertThat(k.stderr()).as("one line saying why").hasLineCount(1)
                    .contains("stopping the VM hard", "second", "SIGINT");
        }
    }

    @Test
    void twoSigtermsFromOneSenderAtOnceAreOneRequestAndTheTrapStillRuns() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "grouped", "", "/bin/busybox", "sh", "-c",
                "trap 'echo got TERM; exit 42' TERM; " + LOOP);

        try (KrunctlProcess k = KrunctlProcess.start("run", "--stop-timeout", "10m", spec.toString())) {
            k.awaitStdout("ready\n", BOOT);
            // As timeout(1) does: SIGTERM to krunctl, then to its process group. Apart by 20 ms, so
            // that krunctl reads them as two deliveries rather than one merged pending signal.
            Process twice = new ProcessBuilder("bash", "-c", "kill -s TERM " + k.pid() + "; sleep 0.02; kill -s TERM "
                    + k.pid()).inheritIO().start();
            assertThat(twice.waitFor()).isZero();

            assertThat(k.awaitExit(EXIT)).as("the trap's code, not 143; stderr: %s", k.stderr()).isEqualTo(42);
            assertThat(k.stdoutToEnd()).isEqualTo("ready\ngot TERM\n");
            assertThat(k.stderr()).isEmpty();
        }
    }

    @Test
    void theTimeoutSendsSigtermThenStopsTheVmAndKrunctlExits124() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "overtime", "", "/bin/busybox", "sh", "-c",
                "trap 'echo got TERM' TERM; " + LOOP);

        try (KrunctlProcess k = KrunctlProcess.start("run", "--timeout", "2s", "--stop-timeout", "2s",
                spec.toString())) {
            assertThat(k.awaitExit(BOOT)).as("exit code; stderr: %s", k.stderr()).isEqualTo(124);
            assertThat(k.stdoutToEnd()).as("the time limit counts from the workload's start, and it saw SIGTERM")
                    .isEqualTo("ready\ngot TERM\n");
            assertThat(k.stderr().lines()).satisfiesExactly(
                    l -> assertThat(l).contains("ran for 2s (--timeout): sent it SIGTERM"),
                    l -> assertThat(l).contains("stopping the VM hard", "2s of SIGTERM", "--stop-timeout"));
        }
    }
}
