package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees from the real launcher on bad input: one line on stderr that names the file and
 * position (or the path), nothing on stdout, no stack trace, and the documented exit code.
 */
class BadInputIT {
    private static final byte[] NO_INPUT = new byte[0];

    @TempDir
    Path dir;

    private static void assertOneLineError(Krunctl.Result r, int exitCode, String... fragments) {
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.stderr()).isEqualTo(exitCode);
        assertThat(r.stdout()).as("stdout stays clean").isEmpty();
        assertThat(r.stderr().lines().toList()).as("exactly one line on stderr").hasSize(1);
        assertThat(r.stderr()).contains(fragments).doesNotContain("Exception", "\tat ");
    }

    @Test
    void missingSpecFile() throws Exception {
        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", "no/such/spec.yaml");

        assertOneLineError(r, ExitCodes.SPEC_UNREADABLE, "no/such/spec.yaml");
    }

    @Test
    void brokenYamlNamesLineAndColumn() throws Exception {
        Path spec = dir.resolve("broken.yaml");
        Files.writeString(spec, "apiVersion: krunctl/v1\nname: broken\nprocess:\n  args: [\"/bin/true\"\n");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertOneLineError(r, ExitCodes.SPEC_INVALID, spec + ":5:");
    }

    @Test
    void unknownKeySuggestsTheNearestOne() throws Exception {
        Path spec = dir.resolve("typo.yaml");
        Files.writeString(spec, "apiVersion: krunctl/v1\nname: typo\nroot:\n  nullfs: {}\nprocess:\n  args: [/bin/true]\n  workdr: /\n");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertOneLineError(r, ExitCodes.SPEC_INVALID, spec + ":7:3:", "workdr", "did you mean 'workdir'?");
    }

    @Test
    void missingSourceFileNamesThePath() throws Exception {
        Path spec = dir.resolve("nosource.yaml");
        Files.writeString(spec, "apiVersion: krunctl/v1\nname: nosource\nroot:\n  nullfs: {}\nfiles:\n"
                + "  - {path: /bin/tool, source: ./tool}\nprocess:\n  args: [/bin/tool]\n");

        Krunctl.Result r = Krunctl.run(NO_INPUT, "run", spec.toString());

        assertOneLineError(r, ExitCodes.SPEC_INVALID, spec + ":6:", dir.resolve("tool").toString());
    }

    @Test
    void missingQemuNamesThePackage() throws Exception {
        // A PATH with the tools the launcher script needs, and no QEMU.
        Path bin = Files.createDirectory(dir.resolve("bin"));
        for (String tool : new String[] {"bash", "env", "dirname", "readlink", "sed", "find"}) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin", tool).toRealPath());
        }
        Krunctl.Result r = Krunctl.run(NO_INPUT, Map.of("PATH", bin.toString()), "run", "specs/hello.yaml");

        assertOneLineError(r, ExitCodes.UNAVAILABLE, "qemu-system-x86_64", "apt-get install qemu-system-x86");
    }
}
