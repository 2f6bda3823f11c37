package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a VM's life driven by name, as a user does it from several terminals: run -d, ps,
 * exec, kill, logs and stop; and a supervisor killed with SIGKILL, after which ps tells and no QEMU
 * is left.
 */
class DetachedIT {
    private static final Duration WAIT = Duration.ofMinutes(2);
    /** busybox sh runs a trap after the current command, so the loop sleeps in short steps. */
    private static final String LOOP = "while :; do /bin/busybox sleep 0.1; done";

    @TempDir
    Path dir;

    /** Names this test gave VMs: a detached VM's entry outlives it, and the user's ps must not list them. */
    private static final java.util.List<String> NAMES = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @org.junit.jupiter.api.AfterAll
    static void forgetEntries() throws Exception {
        for (String name : NAMES) {
            Krunctl.forget(name);
        }
    }

    private static String unique(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        NAMES.add(name);
        return name;
    }

    private static Krunctl.Result krunctl(String... args) throws Exception {
        return Krunctl.run(new byte[0], args);
    }

    @Test
    void aDetachedVmIsReachedByNameUntilStopAndItsLogsStay() throws Exception {
        String name = unique("web");
        Path spec = Krunctl.busyboxSpec(dir, "web", "", "/bin/busybox", "sh", "-c",
                "echo hello; echo warning >&2; trap 'echo got HUP' HUP; trap 'echo got TERM; exit 7' TERM; " + LOOP);

        Krunctl.Result started = krunctl("run", "-d", "--name", name, spec.toString());

        assertThat(started.exitCode()).as("stderr: %s", started.stderr()).isZero();
        assertThat(started.stdoutText()).isEqualTo(name + "\n");
        assertThat(krunctl("ps").stdoutText().lines())
                .anySatisfy(l -> assertThat(l).startsWith(name + " ").contains("running", spec.toString()));
        Krunctl.Result exec = krunctl("exec", name, "--", "/bin/busybox", "echo", "beside");
        assertThat(exec.stdoutText()).isEqualTo("beside\n");

        assertThat(krunctl("kill", name, "HUP").exitCode()).isZero();
        awaitLog(name, "got HUP");
        Krunctl.Result stop;
        try (KrunctlProcess follower = KrunctlProcess.start("logs", "-f", name)) {
            follower.awaitStdout("got HUP\n", WAIT);
            stop = krunctl("stop", "-t", "30", name);
            assertThat(follower.awaitExit(WAIT)).as("logs -f ends with the VM").isZero();
            assertThat(follower.stdoutToEnd()).isEqualTo("hello\ngot HUP\ngot TERM\n");
        }

        assertThat(stop.exitCode()).as("stderr: %s", stop.stderr()).isZero();
        Krunctl.Result logs = krunctl("logs", name);
        assertThat(logs.stdoutText()).isEqualTo("hello\ngot HUP\ngot TERM\n");
        assertThat(logs.stderr()).isEqualTo("warning\n");
        assertThat(krunctl("ps").stdoutText()).doesNotContain(name);
        assertThat(krunctl("ps", "-a").stdoutText().lines())
                .anySatisfy(l -> assertThat(l).startsWith(name + " ").contains("exited"));
        Krunctl.Result execAfter = krunctl("exec", name, "--", "true");
        assertThat(execAfter.exitCode()).isEqualTo(ExitCodes.NO_SUCH_VM);
        assertThat(execAfter.stderr()).contains("has exited (status 7)");
    }

    @Test
    void stopStopsAWorkloadThatIgnoresSigtermAfterTheGraceTime() throws Exception {
        String name = unique("stubborn");
        Path spec = Krunctl.busyboxSpec(dir, "stubborn", "", "/bin/busybox", "sh", "-c", "trap '' TERM; " + LOOP);
        assertThat(krunctl("run", "-d", "--name", name, spec.toString()).exitCode()).isZero();

        Krunctl.Result stop = krunctl("stop", "-t", "1", name);

        assertThat(stop.exitCode()).as("stderr: %s", stop.stderr()).isZero();
        assertThat(krunctl("ps").stdoutText()).doesNotContain(name);
    }

    @Test
    void aSupervisorKilledWithSigkillShowsAsGoneAndLeavesNoQemu() throws Exception {
        String name = unique("crashy");
        String specName = unique("crashy");
        Path spec = Krunctl.busyboxSpec(dir, specName, "", "/bin/busybox", "sh", "-c", LOOP);
        assertThat(krunctl("run", "-d", "--name", name, spec.toString()).exitCode()).isZero();
        String pid = krunctl("ps").stdoutText().lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow().split("\\s+")[2];

        assertThat(new ProcessBuilder("kill", "-9", pid).start().waitFor()).isZero();
        awaitNoQemu("krunctl-" + specName);

        assertThat(krunctl("ps").stdoutText()).doesNotContain(name);
        assertThat(krunctl("ps", "-a").stdoutText().lines())
                .anySatisfy(l -> assertThat(l).startsWith(name + " ").contains("gone"));
        Krunctl.Result again = krunctl("run", "-d", "--name", name, spec.toString());
        assertThat(again.exitCode()).as("the stale name is free; stderr: %s", again.stderr()).isZero();
        assertThat(krunctl("stop", "-t", "1", name).exitCode()).isZero();
    }

    private static void awaitLog(String name, String text) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!krunctl("logs", name).stdoutText().contains(text)) {
            assertThat(System.nanoTime()).as("%s in the logs of %s", text, name).isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    /** Waits until no process runs with {@code qemuName} in its command line (QEMU's -name). */
    private static void awaitNoQemu(String qemuName) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            boolean found;
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                found = procs.filter(p -> p.getFileName().toString().matches("\\d+")).anyMatch(p -> {
                    try {
                        return new String(Files.readAllBytes(p.resolve("cmdline"))).contains(qemuName);
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
            if (!found) {
                return;
            }
            assertThat(System.nanoTime()).as("QEMU %s still runs", qemuName).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
