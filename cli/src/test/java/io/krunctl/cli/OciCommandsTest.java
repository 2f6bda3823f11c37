package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.cli.oci.ContainerStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI commands' manners without a VM: the global options engines pass, one-line errors with
 * exit 1 for unknown containers and bad bundles, and nothing recorded when create refuses.
 */
class OciCommandsTest {
    private static final String NO_SUCH = "krunctl-test-no-such-container";

    @TempDir
    Path dir;

    @Test
    void foreignGlobalOptionsBeforeTheCommandAreTakenAndTheCommandStillChecked() {
        CliRunner.Result r = CliRunner.run("--rootless=false", "--criu", "/usr/sbin/criu", "--systemd-cgroup",
                "--root", "/run/elsewhere", "--cgroup-manager", "cgroupfs", "state", NO_SUCH);

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("krunctl: container " + NO_SUCH + " does not exist\n");
        assertThat(CliRunner.run("state", "--frobnicate", NO_SUCH).exitCode()).as("a command's own options")
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void unknownContainersAreOneLineErrorsExceptForDeleteForce() {
        for (String[] args : new String[][] {{"start", NO_SUCH}, {"delete", NO_SUCH}, {"state", NO_SUCH}}) {
            CliRunner.Result r = CliRunner.run(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.OCI_FAILED);
            assertThat(r.err()).as(String.join(" ", args)).isEqualTo("krunctl: container " + NO_SUCH
                    + " does not exist\n");
        }
        CliRunner.Result forced = CliRunner.run("delete", "--force", NO_SUCH);
        assertThat(forced.exitCode()).isZero();
        assertThat(forced.err()).isEmpty();
    }

    @Test
    void errorsAlsoGoToTheLogFileAsJson() throws Exception {
        Path log = dir.resolve("oci-log");

        CliRunner.run("--log", log.toString(), "--log-format", "json", "start", NO_SUCH);

        JsonNode entry = new ObjectMapper().readTree(Files.readAllLines(log).getLast());
        assertThat(entry.get("level").asText()).isEqualTo("error");
        assertThat(entry.get("msg").asText()).isEqualTo("container " + NO_SUCH + " does not exist");
        assertThat(entry.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }

    @Test
    void createRefusesABadBundleNamingFileLineAndColumnAndRecordsNothing() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\n  \"process\": {\"args\": [\"sh\"],}\n}\n");
        Path pidFile = dir.resolve("pid");

        CliRunner.Result r = CliRunner.run("create", "--bundle", dir.toString(), "--pid-file", pidFile.toString(),
                NO_SUCH);

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(r.err()).startsWith("krunctl: " + dir.resolve("config.json") + ":2:").hasLineCount(1);
        assertThat(ContainerStore.ofCurrentUser().find(NO_SUCH)).isEmpty();
        assertThat(pidFile).doesNotExist();
    }

    @Test
    void createRefusesWhatAVmCannotHonourBeforeRecordingAnything() throws Exception {
        Files.createDirectories(dir.resolve("rootfs"));
        Files.writeString(dir.resolve("config.json"), """
                {"process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
                 "mounts": [{"destination": "/mnt", "type": "nfs", "source": "server:/export"}]}
                """);

        CliRunner.Result r = CliRunner.run("create", "--bundle", dir.toString(), NO_SUCH);

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(r.err()).isEqualTo("krunctl: mounts: /mnt: a mount of type \"nfs\" cannot be made in a VM;"
                + " krunctl mounts directories (bind) and tmpfs\n");
        assertThat(ContainerStore.ofCurrentUser().find(NO_SUCH)).isEmpty();
    }

    @Test
    void theCallsAnEngineMakesForEveryContainerSkipPicocliAndAnswerTheSame() {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();

        assertThat(OciFastPath.tryRun(new String[] {"state", NO_SUCH}, new java.io.PrintWriter(out),
                new java.io.PrintWriter(err))).hasValue(ExitCodes.OCI_FAILED);
        assertThat(err.toString()).isEqualTo(CliRunner.run("state", NO_SUCH).err());
        assertThat(OciFastPath.tryRun(new String[] {"delete", "--force", NO_SUCH}, new java.io.PrintWriter(out),
                new java.io.PrintWriter(err))).hasValue(0);
        java.io.StringWriter createErr = new java.io.StringWriter();
        assertThat(OciFastPath.tryRun(new String[] {"create", "--pid-file", dir.resolve("pid").toString(), "--bundle",
                dir.resolve("absent").toString(), NO_SUCH}, new java.io.PrintWriter(out),
                new java.io.PrintWriter(createErr))).hasValue(ExitCodes.OCI_FAILED);
        assertThat(createErr.toString()).isEqualTo("krunctl: " + dir.resolve("absent/config.json")
                + ": no such file; is the bundle directory right (--bundle)?\n");
        for (String[] other : new String[][] {{"state", "--help"}, {"kill", NO_SUCH, "9"}, {"run", "x.yaml"},
                {"delete", "--force"}, {"start", NO_SUCH, "extra"}, {"--version"},
                {"create", "--bundle", "/b", "--no-pivot", NO_SUCH}, {"create", "--bundle=/b", NO_SUCH},
                {"create", "--bundle", "/b", "--bundle", "/c", NO_SUCH}, {"supervise", "--help"}}) {
            assertThat(OciFastPath.tryRun(other, new java.io.PrintWriter(out), new java.io.PrintWriter(err)))
                    .as(String.join(" ", other)).isEmpty();
        }
    }

    @Test
    void featuresDescribeTheRuntime() throws Exception {
        CliRunner.Result r = CliRunner.run("features");

        assertThat(r.exitCode()).isZero();
        JsonNode features = new ObjectMapper().readTree(r.out());
        assertThat(features.get("ociVersionMax").asText()).isEqualTo("1.0.2");
        assertThat(features.get("hooks")).isEmpty();
    }
}
