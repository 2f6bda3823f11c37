package io.krunctl.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading config.json and process.json with Jackson: unknown keys pass, errors name file, line and column. */
class OciConfigTest {
    @TempDir
    Path dir;

    @Test
    void readsWhatKrunctlUsesAndIgnoresTheRest() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, """
                {"ociVersion": "1.0.2", "vendorThing": {"x": 1},
                 "process": {"terminal": true, "args": ["/bin/sh"], "cwd": "/",
                             "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 18446744073709551615, "hard": 18446744073709551615}],
                             "capabilities": {"bounding": ["CAP_KILL"]}},
                 "root": {"path": "rootfs"}, "annotations": {"a": "b"}}
                """);

        OciConfig c = OciConfig.read(f);

        assertThat(c.process().isTerminal()).isTrue();
        assertThat(c.process().rlimits().getFirst().soft()).isEqualTo(new BigInteger("18446744073709551615"));
        assertThat(c.root().path()).isEqualTo("rootfs");
        assertThat(c.root().readonly()).as("absent is false").isFalse();
        assertThat(c.annotations()).containsEntry("a", "b");
        assertThat(c.mounts()).isNull();
    }

    @Test
    void aSyntaxErrorNamesTheFileLineAndColumn() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\n  \"process\": {\"args\": [\"/bin/sh\",]}\n}\n");

        assertThatThrownBy(() -> OciConfig.read(f)).isInstanceOf(OciException.class)
                .hasMessageStartingWith(f + ":2:");
    }

    @Test
    void aWrongTypeNamesWhereItIs() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"process\": {\"args\": \"/bin/sh\"}}");

        assertThatThrownBy(() -> OciConfig.read(f)).isInstanceOf(OciException.class)
                .hasMessageStartingWith(f + ":1:");
    }

    @Test
    void aMissingFileSaysWhichAndWhatToCheck() {
        Path f = dir.resolve("nope/config.json");

        assertThatThrownBy(() -> OciConfig.read(f)).hasMessage(f + ": no such file; is the bundle directory right"
                + " (--bundle)?");
    }

    @Test
    void anExecProcessJsonIsALoneProcess() throws Exception {
        Path f = dir.resolve("process.json");
        Files.writeString(f, "{\"args\": [\"id\"], \"env\": [\"A=1\"], \"cwd\": \"/tmp\", \"terminal\": false,"
                + " \"user\": {\"uid\": 5, \"gid\": 6}}");

        OciConfig.Process p = OciConfig.readProcess(f);

        assertThat(p.args()).containsExactly("id");
        assertThat(p.user().uid()).isEqualTo(5);
        assertThat(p.isTerminal()).isFalse();
    }
}
