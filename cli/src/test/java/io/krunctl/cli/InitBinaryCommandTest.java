package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.krunctl.initblob.InitBlob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code krunctl init-binary}, in process. */
class InitBinaryCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesTheBundledInitExecutable() throws Exception {
        Path out = dir.resolve("krun-init");
        CliRunner.Result r = CliRunner.run("init-binary", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
        assertThat(Files.readAllBytes(out)).isEqualTo(InitBlob.bundled());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxr-xr-x");
        try (var list = Files.list(dir)) {
            assertThat(list).containsExactly(out);
        }
    }

    @Test
    void writesTheAgentWithAgent() throws Exception {
        Path out = dir.resolve("krun-agent");
        CliRunner.Result r = CliRunner.run("init-binary", "--agent", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(Files.readAllBytes(out)).isEqualTo(InitBlob.bundledAgent());
        assertThat(InitBlob.bundledAgent()).isNotEqualTo(InitBlob.bundled());
    }

    @Test
    void refusesToOverwriteWithoutForce() throws Exception {
        Path out = Files.writeString(dir.resolve("existing"), "mine");
        CliRunner.Result r = CliRunner.run("init-binary", "-o", out.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CANT_CREATE);
        assertThat(r.err()).isEqualTo("krunctl: " + out + " already exists; give --force to replace it\n");
        assertThat(Files.readString(out)).isEqualTo("mine");

        r = CliRunner.run("init-binary", "--force", "-o", out.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.OK);
        assertThat(Files.readAllBytes(out)).isEqualTo(InitBlob.bundled());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void aMissingFolderIsReported() {
        Path out = dir.resolve("no/such/krun-init");
        CliRunner.Result r = CliRunner.run("init-binary", "-o", out.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CANT_CREATE);
        assertThat(r.err()).startsWith("krunctl: cannot write " + out + ": ");
    }

    @Test
    void theOutputIsRequired() {
        CliRunner.Result r = CliRunner.run("init-binary");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
    }
}
