package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.nativeio.Signals;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the OCI runtime commands as an engine calls them, without the engine: the state
 * machine (created, running, stopped) with the errors of wrong states, the program not running
 * before start, an id reused after delete, delete --force, exec, a supervisor killed with SIGKILL,
 * and state, kill and delete with nothing but XDG_RUNTIME_DIR in the environment, as podman calls
 * them.
 */
class OciRuntimeIT {
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path bundle;

    private Path rootfs;
    private final List<String> ids = new ArrayList<>();

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    @BeforeEach
    void busyboxRoot() throws Exception {
        rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
    }

    @AfterEach
    void deleteContainers() throws Exception {
        for (String id : ids) {
            runtime(List.of("delete", "--force", id));
        }
    }

    private String newId() {
        String id = "krunctl-it-" + UUID.randomUUID();
        ids.add(id);
        return id;
    }

    private void config(String script) throws Exception {
        Files.writeString(bundle.resolve("config.json"), """
                {"ociVersion": "1.0.2",
                 "process": {"args": ["/bin/busybox", "sh", "-c", %s], "env": ["PATH=/bin"], "cwd": "/"},
                 "root": {"path": "rootfs"}, "hostname": "oci-it",
                 "annotations": {"krunctl.memory": "256Mi"},
                 "linux": {"namespaces": [{"type": "network"}]}}
                """.formatted(JSON.writeValueAsString(script)));
    }

    /** krunctl with the program's stdout and stderr in files, as conmon's pipes hold them. */
    private int create(String id, Path out, Path err) throws Exception {
        Process p = new ProcessBuilder(Krunctl.LAUNCHER.toString(), "create", "--bundle", bundle.toString(),
                "--pid-file", bundle.resolve("pid").toString(), id)
                .redirectInput(new File("/dev/null")).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("create returned").isTrue();
        return p.exitValue();
    }

    /** krunctl with an empty environment but XDG_RUNTIME_DIR, as podman calls state, kill and delete. */
    private static Krunctl.Result runtime(List<String> args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(Krunctl.LAUNCHER.toString()));
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("XDG_RUNTIME_DIR", "");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        return new Krunctl.Result(p.exitValue(), out, err);
    }

    private static JsonNode state(String id) throws Exception {
        Krunctl.Result r = runtime(List.of("state", id));
        assertThat(r.exitCode()).as("state: %s", r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    private static void awaitStatus(String id, String status) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!state(id).get("status").asText().equals(status)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(id + " never became " + status + ": " + state(id));
            }
            Thread.sleep(100);
        }
    }

    private static void awaitContent(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!(Files.exists(file) && Files.readString(file).contains(text))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(file + " never held '" + text + "'");
            }
            Thread.sleep(100);
        }
    }

    /** A created and started container whose program loops until it is stopped. */
    private String runningContainer() throws Exception {
        config("while :; do /bin/busybox sleep 0.1; done");
        String id = newId();
        assertThat(create(id, bundle.resolve("out"), bundle.resolve("err"))).isZero();
        assertThat(runtime(List.of("start", id)).exitCode()).isZero();
        return id;
    }

    /** Whether {@code pid} runs: a zombie (ended, and waiting for whoever inherited it to reap it) does not. */
    private static boolean running(long pid) {
        return io.krunctl.vmm.state.ProcessIdentity.of(pid).isPresent();
    }

    @Test
    void aContainerGoesFromCreatedToRunningToStoppedAndItsIdCanBeUsedAgain() throws Exception {
        config("echo ran > /ran; echo started; trap 'echo got TERM; exit 3' TERM;"
                + " while :; do /bin/busybox sleep 0.1; done");
        String id = newId();
        Path out = bundle.resolve("out");
        Path err = bundle.resolve("err");

        assertThat(create(id, out, err)).as("create: %s", Files.readString(err)).isZero();
        JsonNode created = state(id);
        assertThat(created.get("status").asText()).isEqualTo("created");
        assertThat(created.get("id").asText()).isEqualTo(id);
        assertThat(created.get("bundle").asText()).isEqualTo(bundle.toString());
        assertThat(created.get("annotations").get("krunctl.memory").asText()).isEqualTo("256Mi");
        assertThat(created.get("pid").asLong()).isEqualTo(Long.parseLong(Files.readString(bundle.resolve("pid"))));
        assertThat(rootfs.resolve("ran")).as("nothing runs before start").doesNotExist();
        Krunctl.Result early = runtime(List.of("exec", "--process", bundle.resolve("nope.json").toString(), id));
        assertThat(early.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);

        Krunctl.Result start = runtime(List.of("start", id));
        assertThat(start.exitCode()).as("start: %s", start.stderr()).isZero();
        assertThat(start.stdout()).as("start prints nothing").isEmpty();
        awaitContent(out, "started\n");
        assertThat(state(id).get("status").asText()).isEqualTo("running");
        assertThat(rootfs.resolve("ran")).hasContent("ran");

        Krunctl.Result again = runtime(List.of("start", id));
        assertThat(again.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(again.stderr()).isEqualTo("krunctl: container " + id + " is running, not created: only a"
                + " created container can be started\n");
        Krunctl.Result early2 = runtime(List.of("delete", id));
        assertThat(early2.exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(state(id).get("status").asText()).as("the refused delete changed nothing").isEqualTo("running");

        Krunctl.Result kill = runtime(List.of("kill", id, "15"));
        assertThat(kill.exitCode()).as("kill: %s", kill.stderr()).isZero();
        awaitStatus(id, "stopped");
        assertThat(state(id).get("pid").asLong()).isZero();
        assertThat(Files.readString(out)).isEqualTo("started\ngot TERM\n");
        assertThat(runtime(List.of("kill", id, "9")).exitCode()).as("kill of a stopped container")
                .isEqualTo(ExitCodes.OCI_FAILED);

        assertThat(runtime(List.of("delete", id)).exitCode()).isZero();
        assertThat(runtime(List.of("state", id)).exitCode()).isEqualTo(ExitCodes.OCI_FAILED);
        assertThat(create(id, out, err)).as("the same id again: %s", Files.readString(err)).isZero();
        assertThat(state(id).get("status").asText()).isEqualTo("created");
        long supervisor = state(id).get("pid").asLong();
        assertThat(runtime(List.of("delete", "--force", id)).exitCode()).isZero();
        assertThat(running(supervisor)).as("delete --force kills the supervisor").isFalse();
    }

    @Test
    void execRunsBesideTheProgramAndRelaysItsExitCode() throws Exception {
        String id = runningContainer();
        Path process = bundle.resolve("process.json");
        Files.writeString(process, """
                {"args": ["/bin/busybox", "sh", "-c", "echo in exec $GREETING; /bin/busybox hostname; exit 4"],
                 "env": ["GREETING=hi"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
                """);

        Krunctl.Result exec = Krunctl.run(new byte[0], "exec", "--process", process.toString(), id);

        assertThat(exec.exitCode()).as("exec: %s", exec.stderr()).isEqualTo(4);
        assertThat(exec.stdoutText()).isEqualTo("in exec hi\noci-it\n");
        Path pidFile = bundle.resolve("exec.pid");
        // The relay outlives exec --detach and writes to the stdout it inherited: a file here, as
        // conmon's pipe there (a JDK Process stops reading its pipe when the direct child exits).
        Path relayOut = bundle.resolve("relay.out");
        Process detached = new ProcessBuilder(Krunctl.LAUNCHER.toString(), "exec", "--detach", "--pid-file",
                pidFile.toString(), "--process", process.toString(), id)
                .redirectInput(new File("/dev/null")).redirectOutput(relayOut.toFile())
                .redirectError(bundle.resolve("relay.err").toFile()).start();
        assertThat(detached.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(detached.exitValue()).as("exec --detach: %s", Files.readString(bundle.resolve("relay.err")))
                .isZero();
        assertThat(Long.parseLong(Files.readString(pidFile))).isPositive();
        awaitContent(relayOut, "in exec hi\noci-it\n");
    }

    @Test
    void aKilledSupervisorLeavesAStoppedContainerAndNoQemu() throws Exception {
        String id = runningContainer();
        long supervisor = state(id).get("pid").asLong();
        JsonNode record = JSON.readTree(io.krunctl.cli.oci.ContainerStore.ofCurrentUser().get(id).dir()
                .resolve("state.json").toFile());
        long qemu = record.get("qemu").get("pid").asLong();

        Signals.kill(supervisor, Signals.SIGKILL);

        awaitStatus(id, "stopped");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (running(qemu) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(running(qemu)).as("QEMU dies with its supervisor").isFalse();
        assertThat(runtime(List.of("delete", id)).exitCode()).isZero();
        assertThat(create(id, bundle.resolve("out"), bundle.resolve("err"))).as("the id is free again").isZero();
    }
}
