package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: podman 4.3.1 with krunctl as its OCI runtime ({@code --runtime}), as a user drives
 * it: each container's program runs in a microVM on krunctl's own kernel, with podman's options
 * visible to it, its output, exit code and stdin relayed, and its life (run -d, ps, exec, stop,
 * kill, start again, rm -f) followed by podman; nothing of it is left on the host afterwards.
 */
class PodmanIT {
    private static final Duration WAIT = Duration.ofMinutes(2);
    /** busybox sh runs a trap after the current command, so loops sleep in short steps. */
    private static final String LOOP = "while :; do sleep 0.1; done";

    @TempDir
    static Path scratch;

    @TempDir
    Path dir;

    private static final java.util.List<String> NAMES = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void needsPodman() throws Exception {
        Podman.assumePodman();
        Podman.importImage(scratch);
    }

    @AfterAll
    static void removeContainers() throws Exception {
        for (String name : NAMES) {
            Podman.run("rm", "-f", "-t", "0", name);
        }
    }

    private static String unique(String prefix) {
        String name = "krunctl-it-" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        NAMES.add(name);
        return name;
    }

    @Test
    void runRelaysStdoutStderrAndTheExitCodeFromAVm() throws Exception {
        Podman.Result r = Podman.run("run", "--rm", Podman.IMAGE, "sh", "-c",
                "echo out; echo err >&2; cat /proc/cmdline; test -f /run/.containerenv && echo containerenv; exit 7");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(7);
        assertThat(r.out()).startsWith("out\n");
        assertThat(r.out()).as("the program runs under the guest's own kernel, started by krunctl's init")
                .contains("init=/init.krun");
        assertThat(r.out()).as("podman's bound files are there").endsWith("containerenv\n");
        assertThat(r.stderr()).isEqualTo("err\n");
    }

    @Test
    void stdinReachesTheProgramByteForByteWithItsEnd() throws Exception {
        byte[] data = new byte[200_000];
        new Random(14).nextBytes(data);

        Podman.Result r = Podman.run(data, "run", "-i", "--rm", "--network", "none", Podman.IMAGE, "cat");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(data);
    }

    @Test
    void podmansOptionsAreWhatTheProgramSees() throws Exception {
        Path volume = Files.createDirectories(dir.resolve("vol"));
        Files.writeString(volume.resolve("in.txt"), "from the host\n");
        // The program runs as uid 1000: the directory is its to write.
        Files.setPosixFilePermissions(volume, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path readOnly = Files.createDirectories(dir.resolve("ro"));

        Podman.Result r = Podman.run("run", "--rm", "--network", "none", "-e", "GREETING=hi there", "-w", "/tmp",
                "-u", "1000:1000", "--hostname", "boxy", "--ulimit", "nofile=1234:2345", "-v", volume + ":/data",
                "-v", readOnly + ":/ro:ro", "--read-only", "--tmpfs", "/scratch:size=8m", Podman.IMAGE, "sh", "-c",
                "echo \"$GREETING\"; pwd; id -u; id -g; hostname; ulimit -n; ulimit -Hn; cat /data/in.txt;"
                        + " echo written > /data/out.txt && sync;"
                        + " touch /ro/x 2>/dev/null || echo ro-refused; touch /x 2>/dev/null || echo root-refused;"
                        + " echo t > /scratch/t && mount | grep ' /scratch ' | grep -c tmpfs;"
                        + " cat /etc/hostname; echo; grep -c boxy /etc/hosts");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.out()).isEqualTo(String.join("\n", "hi there", "/tmp", "1000", "1000", "boxy", "1234", "2345",
                "from the host", "ro-refused", "root-refused", "1", "boxy", "1", ""));
        assertThat(volume.resolve("out.txt")).hasContent("written");
    }

    @Test
    void aDetachedContainersLifeIsFollowedByPodmanAndLeavesNothingBehind() throws Exception {
        String name = unique("life");
        Podman.Result started = Podman.run("run", "-d", "--name", name, "--network", "none", Podman.IMAGE, "sh", "-c",
                "echo hello; echo warning >&2; trap 'echo got TERM; exit 3' TERM; " + LOOP);
        assertThat(started.exitCode()).as("stderr: %s", started.stderr()).isZero();
        String id = started.out().trim();

        assertThat(awaitStatus(name, "Up")).isTrue();
        Podman.Result exec = Podman.run("exec", name, "sh", "-c", "echo in exec; hostname; exit 5");
        assertThat(exec.exitCode()).as("stderr: %s", exec.stderr()).isEqualTo(5);
        assertThat(exec.out()).isEqualTo("in exec\n" + id.substring(0, 12) + "\n");
        Podman.Result execIn = Podman.run("abc".getBytes(StandardCharsets.US_ASCII), "exec", "-i", name, "cat");
        assertThat(execIn.out()).isEqualTo("abc");

        Podman.Result stop = Podman.run("stop", "-t", "20", name);
        assertThat(stop.exitCode()).as("stderr: %s", stop.stderr()).isZero();
        assertThat(status(name)).startsWith("Exited (3)");
        Podman.Result logs = Podman.run("logs", name);
        assertThat(logs.out()).isEqualTo("hello\ngot TERM\n");
        assertThat(logs.stderr()).isEqualTo("warning\n");

        // podman start creates the same ID again.
        assertThat(Podman.run("start", name).exitCode()).isZero();
        assertThat(awaitStatus(name, "Up")).isTrue();
        Podman.Result kill = Podman.run("kill", name);
        assertThat(kill.exitCode()).as("stderr: %s", kill.stderr()).isZero();
        assertThat(awaitStatus(name, "Exited (137)")).isTrue();

        assertThat(Podman.run("start", name).exitCode()).isZero();
        assertThat(awaitStatus(name, "Up")).isTrue();
        Podman.Result rm = Podman.run("rm", "-f", name);
        assertThat(rm.exitCode()).as("stderr: %s", rm.stderr()).isZero();
        assertThat(Podman.run("ps", "-a", "--filter", "name=" + name, "--format", "{{.Names}}").out()).isEmpty();
        assertThat(Podman.leftovers(id)).isEmpty();
    }

    @Test
    void stopEndsAProgramWithoutATrapWith143AndTwoContainersRunApart() throws Exception {
        String a = unique("a");
        String b = unique("b");
        assertThat(Podman.run("run", "-d", "--name", a, "--hostname", "alpha", Podman.IMAGE, "sleep", "1000")
                .exitCode()).isZero();
        assertThat(Podman.run("run", "-d", "--name", b, "--hostname", "beta", "--network", "none", Podman.IMAGE,
                "sleep", "1000").exitCode()).isZero();
        assertThat(awaitStatus(a, "Up")).isTrue();
        assertThat(awaitStatus(b, "Up")).isTrue();

        assertThat(Podman.run("exec", a, "hostname").out()).isEqualTo("alpha\n");
        assertThat(Podman.run("exec", b, "hostname").out()).isEqualTo("beta\n");

        assertThat(Podman.run("stop", "-t", "20", a).exitCode()).isZero();
        assertThat(status(a)).startsWith("Exited (143)");
        assertThat(status(b)).as("the other container").startsWith("Up");
        assertThat(Podman.run("exec", b, "sh", "-c", "exit 9").exitCode()).isEqualTo(9);

        assertThat(Podman.run("rm", "-f", "-t", "0", b).exitCode()).isZero();
        assertThat(Podman.run("rm", a).exitCode()).isZero();
    }

    @Test
    void whatAVmCannotHonourFailsTheRunWithKrunctlsReason() throws Exception {
        Podman.Result r = Podman.run("run", "--rm", "--network", "none", "--device", "/dev/kvm",
                Podman.IMAGE, "true");

        assertThat(r.exitCode()).isEqualTo(126);
        assertThat(r.stderr()).contains("host devices cannot be passed into a VM");
    }

    private static String status(String name) throws Exception {
        return Podman.run("ps", "-a", "--filter", "name=" + name, "--format", "{{.Status}}").out().trim();
    }

    private static boolean awaitStatus(String name, String prefix) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (status(name).startsWith(prefix)) {
                return true;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(name + " never reached " + prefix + "; it is " + status(name));
    }
}
