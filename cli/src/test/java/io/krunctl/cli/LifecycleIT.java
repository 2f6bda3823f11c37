package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QEMU, sockets and temp files never outlive krunctl, however krunctl ends. */
class LifecycleIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    /** Starts a VM that sleeps and waits until its QEMU process is up. */
    private Process startSleeper(String name, Path runtimeBase) throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, name, "", "/bin/busybox", "sleep", "600");
        ProcessBuilder pb = new ProcessBuilder(Krunctl.LAUNCHER.toString(), "run", spec.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve(name + ".stderr").toFile());
        pb.environment().put("XDG_RUNTIME_DIR", runtimeBase.toString());
        Process krunctl = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (qemuOf(name).isEmpty()) {
            assertThat(krunctl.isAlive()).as("krunctl still running; stderr: %s",
                    Files.readString(dir.resolve(name + ".stderr"))).isTrue();
            assertThat(System.nanoTime()).as("QEMU started within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
        return krunctl;
    }

    private static Optional<ProcessHandle> qemuOf(String name) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system-x86_64")
                        && c.contains("-name krunctl-" + name + ",")).orElse(false))
                .findFirst();
    }

    private static void awaitGone(ProcessHandle p) throws Exception {
        p.onExit().get(20, TimeUnit.SECONDS);
        assertThat(p.isAlive()).isFalse();
    }

    private static List<Path> krunctlDirs(Path base) throws Exception {
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> p.getFileName().toString().startsWith("krunctl-")).toList();
        }
    }

    @Test
    void sigtermStopsQemuAndRemovesTheRuntimeDirectory() throws Exception {
        Path runtime = Files.createDirectory(dir.resolve("runtime"));
        Process krunctl = startSleeper("term-me", runtime);
        ProcessHandle qemu = qemuOf("term-me").orElseThrow();
        assertThat(krunctlDirs(runtime)).hasSize(1);

        krunctl.destroy();
        assertThat(krunctl.waitFor(20, TimeUnit.SECONDS)).isTrue();

        awaitGone(qemu);
        assertThat(krunctlDirs(runtime)).as("sockets and temp files removed").isEmpty();
    }

    @Test
    void sigkillTakesQemuDownAndTheNextRunSweepsTheLeftovers() throws Exception {
        Path runtime = Files.createDirectory(dir.resolve("runtime"));
        Process krunctl = startSleeper("kill-me", runtime);
        ProcessHandle qemu = qemuOf("kill-me").orElseThrow();

        krunctl.destroyForcibly();
        assertThat(krunctl.waitFor(20, TimeUnit.SECONDS)).isTrue();

        awaitGone(qemu);
        assertThat(krunctlDirs(runtime)).as("SIGKILL leaves the directory behind").hasSize(1);
        Path spec = Krunctl.busyboxSpec(dir, "next", "", "/bin/busybox", "true");
        Krunctl.Result next = Krunctl.run(new byte[0], java.util.Map.of("XDG_RUNTIME_DIR", runtime.toString()),
                "run", spec.toString());
        assertThat(next.exitCode()).as("stderr: %s", next.stderr()).isZero();
        assertThat(krunctlDirs(runtime)).as("the next run swept it").isEmpty();
    }
}
