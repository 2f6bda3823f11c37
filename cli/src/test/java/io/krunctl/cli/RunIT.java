package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: real QEMU, the distribution's kernel, the bundled init, krunctl's own virtio-fs device. */
class RunIT {
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void helloSpecPrintsOnlyTheWorkloadsBytesAndExitsZero() throws Exception {
        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", "specs/hello.yaml");

        assertThat(r.stdoutText()).isEqualTo("hello from a microVM\n");
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.stderr()).isZero();
        assertThat(r.stderr()).as("no kernel or init chatter on a clean run").isEmpty();
    }

    /**
     * A spec without 'name' boots under its file's name (which is also the guest's host name), and a
     * dir root written as a mapping gets its settings: readOnly refuses writes.
     */
    @Test
    void unnamedSpecWithAMappingDirRootBoots() throws Exception {
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        Path spec = dir.resolve("My App.v2.yaml");
        Files.writeString(spec, String.join("\n",
                "apiVersion: krunctl/v1",
                "root:",
                "  dir:",
                "    path: ./rootfs",
                "    readOnly: true",
                "    cache: never",
                "process:",
                "  args: [/bin/busybox, sh, -c, " + Krunctl.quote(
                        "/bin/busybox hostname; /bin/busybox touch /new 2>/dev/null && echo WRITABLE || echo read-only;"
                                + " /bin/busybox ls /bin") + "]",
                ""));

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).isEqualTo("my-app-v2\nread-only\nbusybox\n");
        assertThat(rootfs.resolve("../new")).doesNotExist();
    }

    @Test
    void workloadExitCodeIsRelayed() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "seven", "", "/bin/busybox", "sh", "-c", "exit 7");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(7);
    }

    @Test
    void missingProgramGives127AndSaysWhy() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "missing", "", "/bin/no-such-program");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(127);
        assertThat(r.stderr()).contains("/bin/no-such-program");
    }

    @Test
    void deathBySignalGives128PlusSignal() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "killed", "", "/bin/busybox", "sh", "-c", "kill -9 $$");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(137);
    }
}
