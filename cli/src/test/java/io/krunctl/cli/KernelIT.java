package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: which kernel boots. By default krunctl's own (kernel/build.sh, run by make build and
 * make test), straight from the virtio-fs root; Debian's on request, and when the own kernel is not
 * built, with a one-line notice.
 */
class KernelIT {
    private static final byte[] NO_INPUT = new byte[0];
    private static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "krunctl", "kernel");
    private static final String SHOW_KERNEL = "uname -r; cat /proc/cmdline; ls /lib/modules 2>/dev/null; true";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void theDefaultKernelIsKrunctlsOwnBootingStraightIntoTheInit() throws Exception {
        Path own = CACHE.resolve("own");
        String key = Files.readString(own.resolve("current"), StandardCharsets.US_ASCII).strip();
        String release = Files.readString(own.resolve(key).resolve("release"), StandardCharsets.US_ASCII).strip();
        Path spec = Krunctl.busyboxSpec(dir, "own", "", "/bin/busybox", "sh", "-c", SHOW_KERNEL);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        String[] lines = r.stdoutText().split("\n");
        assertThat(lines[0]).isEqualTo(release);
        // No initramfs and no module stage: the kernel mounts the virtio-fs root and runs the init.
        assertThat(lines[1].split(" ")).contains("rootfstype=virtiofs", "root=/dev/root", "init=/init.krun",
                "noapictimer");
    }

    @Test
    void aContainerWorkloadFindsNamespacesCgroup2ControllersAndOverlayfs() throws Exception {
        String script = String.join("; ",
                "B=/bin/busybox",
                "$B cat /sys/fs/cgroup/cgroup.controllers",
                "$B mkdir -p /tmp/lower /tmp/upper /tmp/work /tmp/merged",
                "echo layer > /tmp/lower/file",
                "$B mount -t overlay overlay -o lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work /tmp/merged",
                "echo overlay=$($B cat /tmp/merged/file)",
                "$B unshare -m -u -i -n -p -f -- $B sh -c 'echo unshared=$$'");
        Path spec = Krunctl.busyboxSpec(dir, "container", "mounts:\n  - {type: tmpfs, destination: /tmp}\n",
                "/bin/busybox", "sh", "-c", script);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText().split("\n")[0].split(" ")).contains("cpuset", "cpu", "memory", "pids");
        // In a new PID namespace the shell is PID 1.
        assertThat(r.stdoutText()).contains("overlay=layer\n", "unshared=1\n");
    }

    @Test
    void theDebianKernelStaysSelectable() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "debian", "kernel: debian\n", "/bin/busybox", "sh", "-c", SHOW_KERNEL);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdoutText().split("\n")[0]).endsWith("-cloud-amd64");
        assertThat(r.stdoutText()).contains("noapictimer").doesNotContain("init=/init.krun");
    }

    @Test
    void withoutTheOwnKernelKrunctlSaysSoAndBootsDebians() throws Exception {
        // Makes sure the Debian kernel is in the real cache, then offers krunctl a cache holding only it.
        Krunctl.Result fetch = Krunctl.run(NO_INPUT, "run", "--set", "kernel=debian", "specs/hello.yaml");
        assertThat(fetch.exitCode()).as("stderr: %s", fetch.stderr()).isZero();
        String pointer = "current-linux-image-cloud-amd64";
        String release = Files.readString(CACHE.resolve(pointer), StandardCharsets.US_ASCII).strip();
        Path kernels = Files.createDirectories(dir.resolve("cache/krunctl/kernel"));
        Files.copy(CACHE.resolve(pointer), kernels.resolve(pointer));
        Files.createSymbolicLink(kernels.resolve(release), CACHE.resolve(release));

        Krunctl.Result r = Krunctl.run(NO_INPUT, Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString()), "run",
                "specs/hello.yaml");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).isEqualTo("hello from a microVM\n");
        assertThat(r.stderr()).isEqualTo("krunctl: warning: krunctl's own kernel is not built (`make build` builds"
                + " it); booting the Debian kernel\n");
    }
}
