package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code image: {config}}: an unpacked image runs its own process (Entrypoint + Cmd, WorkingDir,
 * Env), and the command line overrides it as {@code docker run IMAGE ARGS} does.
 */
class ImageConfigIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @Test
    void anUnpackedImageRunsItsOwnProcessAndArgumentsReplaceItsCmd() throws Exception {
        Path rootfs = dir.resolve("image/rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.createDirectories(rootfs.resolve("srv/app"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        String show = "echo \\\"$0 $*\\\"; echo \\\"cwd=$(pwd) GREETING=$GREETING PATH=$PATH HOME=$HOME\\\"";
        Files.writeString(dir.resolve("image/config.json"), """
                {"architecture": "amd64", "os": "linux",
                 "config": {"User": "65534", "Env": ["PATH=/bin", "GREETING=hello from the image", "HOME=/srv"],
                            "Entrypoint": ["/bin/busybox", "sh", "-c", "%s", "entry"],
                            "Cmd": ["from-cmd"], "WorkingDir": "/srv/app"},
                 "rootfs": {"type": "layers", "diff_ids": []}}
                """.formatted(show));
        Path spec = dir.resolve("image.yaml");
        Files.writeString(spec, """
                apiVersion: krunctl/v1
                root: {dir: ./image/rootfs}
                image: {config: ./image/config.json}
                """);

        Krunctl.Result own = Krunctl.run(new byte[0], "run", spec.toString());
        assertThat(own.exitCode()).as("stderr: %s", own.stderr()).isZero();
        assertThat(own.stdoutText()).isEqualTo("entry from-cmd\n"
                + "cwd=/srv/app GREETING=hello from the image PATH=/bin HOME=/srv\n");

        Krunctl.Result overridden = Krunctl.run(new byte[0], "run", "--set", "process.env.GREETING=from the spec",
                spec.toString(), "--", "from-args", "two");
        assertThat(overridden.exitCode()).as("stderr: %s", overridden.stderr()).isZero();
        assertThat(overridden.stdoutText()).isEqualTo("entry from-args two\n"
                + "cwd=/srv/app GREETING=from the spec PATH=/bin HOME=/srv\n");
    }
}
