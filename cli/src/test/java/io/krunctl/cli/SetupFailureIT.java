package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: when the guest init cannot start the workload, krunctl exits with libkrun's codes
 * (125: the init could not set it up, 127: the program does not exist) and the reason is one line
 * on stderr, with nothing on stdout.
 */
class SetupFailureIT {
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void missingWorkdirEndsWith125() throws Exception {
        Path spec = dir.resolve("no-workdir.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                name: no-workdir
                root: {nullfs: {}}
                files: [{path: /bin/busybox, source: /bin/busybox, mode: "0755"}]
                process:
                  args: [/bin/busybox, "true"]
                  workdir: /no/such/dir
                """);

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(125);
        assertThat(r.stderr()).isEqualTo("krun-init: chdir /no/such/dir: No such file or directory\n");
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void missingProgramEndsWith127() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "no-program", "", "/usr/bin/no-such-program", "arg");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(127);
        assertThat(r.stderr()).isEqualTo(
                "krun-init: cannot execute /usr/bin/no-such-program: No such file or directory\n");
        assertThat(r.stdout()).isEmpty();
    }
}
