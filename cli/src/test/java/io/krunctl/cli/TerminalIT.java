package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * krunctl on a real terminal: a tmux pane (a pseudo-terminal of known size) runs it with stdin,
 * stdout and stderr all on the terminal, and the test types into the pane and reads the screen, as
 * a user would.
 */
class TerminalIT {
    private static final Path TMUX = Path.of("/usr/bin/tmux");
    private static final Duration BOOT = Duration.ofMinutes(2);
    private static final Duration STEP = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static final java.util.concurrent.atomic.AtomicInteger SERVERS = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * A private tmux server per test, so the test never touches a user's sessions, nor a server that
     * the test before is still taking down (a new session on a server in the middle of kill-server
     * fails with "server exited unexpectedly").
     */
    private final String server = "krunctl-it-" + ProcessHandle.current().pid() + "-" + SERVERS.incrementAndGet();

    @BeforeAll
    static void needsQemuAndTmux() {
        Krunctl.assumeQemu();
        boolean present = Files.isExecutable(TMUX);
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError("tmux is missing in CI: scripts/prereqs.sh should have installed it");
        }
        assumeTrue(present, "tmux is not installed");
    }

    @AfterEach
    void killServer() throws Exception {
        tmux(false, "kill-server");
    }

    private String tmux(boolean check, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(TMUX.toString(), "-L", server, "-f", "/dev/null"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || (check && p.exitValue() != 0)) {
            throw new AssertionError("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    private String screen() throws Exception {
        return tmux(true, "capture-pane", "-p", "-J", "-S", "-", "-t", "it");
    }

    /** Types {@code keys}: literal text, or tmux key names such as {@code Enter} and {@code C-c}. */
    private void type(String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "it"));
        args.addAll(List.of(keys));
        tmux(true, args.toArray(String[]::new));
    }

    private static int count(String screen, String text) {
        return screen.split(java.util.regex.Pattern.quote(text), -1).length - 1;
    }

    /**
     * Starts a 40x120 pane whose script runs {@code command} from the repository and then prints
     * "krunctl-exit=N", saving the terminal's settings before and after it (see
     * {@link #resizeCtrlCAndExit}).
     */
    private void startPane(String command) throws Exception {
        Path script = dir.resolve("pane.sh");
        Files.writeString(script, String.join("\n",
                "cd " + Krunctl.ROOT,
                "stty -g > " + dir.resolve("stty.before"),
                command,
                "echo \"krunctl-exit=$?\"",
                "stty -g > " + dir.resolve("stty.after"),
                "exec sleep 600", ""));
        tmux(true, "new-session", "-d", "-s", "it", "-x", "120", "-y", "40", "sh " + script);
    }

    /**
     * The rest of a session with a busybox shell at {@code prompt} on a 40x120 pane: the pane shrinks
     * to 30x100 and the shell sees it; ^C (byte 3 in raw mode, SIGINT from the guest's line
     * discipline) ends a foreground sleep with status 130; {@code exit 7} reaches the pane's script,
     * which then finds the host terminal's settings as they were.
     */
    private void resizeCtrlCAndExit(String prompt) throws Exception {
        Path before = dir.resolve("stty.before");
        Path after = dir.resolve("stty.after");
        tmux(true, "resize-window", "-t", "it", "-x", "100", "-y", "30");
        awaitSize("30 100");

        type("/bin/busybox sh -c 'echo sleep''ing; exec /bin/busybox sleep 100'", "Enter");
        int prompts = count(awaitScreen("sleeping", 1, STEP), prompt);
        type("C-c");
        awaitScreen(prompt, prompts + 1, STEP);
        type("echo \"status-$?\"", "Enter");
        awaitScreen("status-130", 1, STEP);

        type("exit 7", "Enter");
        String end = awaitScreen("krunctl-exit=7", 1, STEP);
        awaitFile(after);
        assertThat(Files.readString(after)).as("host terminal settings afterwards; screen:\n%s", end)
                .isEqualTo(Files.readString(before));
        assertThat(end).as("krunctl's own messages").doesNotContain("krunctl:");
    }

    /**
     * Asks the guest for its terminal's size until it answers {@code size}: the new size travels from
     * tmux to krunctl (SIGWINCH) and on to the guest while the test types, and on a loaded host a
     * {@code stty size} typed at once can still see the old one.
     */
    private void awaitSize(String size) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            int before = count(screen(), size);
            type("stty size", "Enter");
            try {
                awaitScreen(size, before + 1, Duration.ofSeconds(3));
                return;
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** Waits until the pane shows {@code text} {@code times} times in all. */
    private String awaitScreen(String text, int times, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String s = screen();
            if (count(s, text) >= times) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the pane never showed '" + text + "' " + times + "x; it shows:\n" + s);
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theShellExampleTakesTypingCtrlCAndTheWindowSizeAndTheTerminalIsRestored() throws Exception {
        startPane("./krunctl run " + Krunctl.ROOT.resolve("specs/shell.yaml"));

        awaitScreen("guest$ ", 1, BOOT);
        type("echo typed-$((6*7))", "Enter");
        awaitScreen("typed-42", 1, STEP);
        type("stty size", "Enter");
        awaitScreen("40 120", 1, STEP);
        resizeCtrlCAndExit("guest$ ");
    }

    /**
     * process.pid1 at a terminal: the shell is PID 1, window sizes reach it through the init's control
     * relay, and its exit status, which only the kernel's panic report on the console (the terminal)
     * carries, is krunctl's.
     */
    @Test
    void aPid1ShellAtTheTerminalGetsItsSizeAndCtrlCAndItsExitStatusIsKrunctls() throws Exception {
        startPane("./krunctl run --set process.pid1=true " + Krunctl.ROOT.resolve("specs/shell.yaml"));

        awaitScreen("guest$ ", 1, BOOT);
        type("echo pid-$$", "Enter");
        awaitScreen("pid-1", 1, STEP);
        resizeCtrlCAndExit("guest$ ");
    }

    @Test
    void execItGivesAShellTheTerminalItsSizeAndCtrlCAndRestoresTheTerminal() throws Exception {
        String name = "tty-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Path vmSpec = Krunctl.busyboxSpec(dir, "tty-host", "", "/bin/busybox", "sleep", "600");
        Krunctl.Result started = Krunctl.run(new byte[0], "run", "-d", "--name", name, vmSpec.toString());
        assertThat(started.exitCode()).as("stderr: %s", started.stderr()).isZero();
        try {
            startPane("./krunctl exec -it -e 'PS1=exec$ ' " + name + " -- /bin/busybox sh");

            awaitScreen("exec$ ", 1, BOOT);
            type("tty; stty size", "Enter");
            awaitScreen("40 120", 1, STEP);
            assertThat(screen()).contains("/dev/pts/");

            resizeCtrlCAndExit("exec$ ");
        } finally {
            Krunctl.run(new byte[0], "stop", "-t", "1", name);
            Krunctl.forget(name);
        }
    }

    /**
     * podman run -it through krunctl as OCI runtime: the terminal krunctl create sends to conmon's
     * console socket is the guest shell's, with podman's window size, resizes and ^C.
     */
    @Test
    void podmanRunItGivesTheContainersShellTheTerminal() throws Exception {
        Podman.assumePodman();
        Podman.importImage(dir);
        startPane("podman --runtime " + Krunctl.LAUNCHER + " run -it --rm --network none -e 'PS1=ctr$ ' "
                + Podman.IMAGE + " /bin/busybox sh");

        awaitScreen("ctr$ ", 1, BOOT);
        awaitSize("40 120");
        resizeCtrlCAndExit("ctr$ ");
    }

    /** podman exec -it into a container krunctl runs: a terminal of its own through the guest agent. */
    @Test
    void podmanExecItGivesAShellInTheContainerTheTerminal() throws Exception {
        Podman.assumePodman();
        Podman.importImage(dir);
        String name = "krunctl-it-exec-tty-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Podman.Result started = Podman.run("run", "-d", "--name", name, "--network", "none", Podman.IMAGE, "sleep",
                "600");
        assertThat(started.exitCode()).as("stderr: %s", started.stderr()).isZero();
        try {
            startPane("podman exec -it -e 'PS1=pexec$ ' " + name + " /bin/busybox sh");

            awaitScreen("pexec$ ", 1, BOOT);
            type("tty", "Enter");
            awaitScreen("/dev/pts/", 1, STEP);
            awaitSize("40 120");
            resizeCtrlCAndExit("pexec$ ");
        } finally {
            Podman.run("rm", "-f", "-t", "0", name);
        }
    }

    /**
     * With stdout redirected krunctl is in pipe mode and the terminal stays cooked, so ^C makes the
     * kernel send SIGINT to the whole foreground process group: krunctl passes it on, and QEMU, in a
     * session of its own, must not get it (it would end the VM at once).
     */
    @Test
    void ctrlCOnTheTerminalOfAPipelineReachesTheWorkloadThroughKrunctl() throws Exception {
        Path spec = Krunctl.busyboxSpec(dir, "interrupt", "", "/bin/busybox", "sh", "-c",
                "trap 'echo got INT; exit 4' INT; echo ready; while :; do /bin/busybox sleep 0.1; done");
        Path out = dir.resolve("out.txt");
        Path script = dir.resolve("pane.sh");
        Files.writeString(script, String.join("\n",
                "cd " + Krunctl.ROOT,
                // This shell gets the ^C too; a handler (reset to the default in krunctl) keeps it alive.
                "trap : INT",
                "./krunctl run " + spec + " > " + out,
                "echo \"krunctl-exit=$?\"",
                "exec sleep 600", ""));
        tmux(true, "new-session", "-d", "-s", "it", "-x", "120", "-y", "40", "sh " + script);

        long deadline = System.nanoTime() + BOOT.toNanos();
        while (!Files.exists(out) || !Files.readString(out).contains("ready")) {
            assertThat(System.nanoTime()).as("'ready' in %s; screen:\n%s", out, screen()).isLessThan(deadline);
            Thread.sleep(100);
        }
        type("C-c");

        String end = awaitScreen("krunctl-exit=", 1, STEP);
        assertThat(end).contains("krunctl-exit=4");
        assertThat(Files.readString(out)).isEqualTo("ready\ngot INT\n");
    }

    private static void awaitFile(Path file) throws Exception {
        long deadline = System.nanoTime() + STEP.toNanos();
        while (!Files.exists(file) || Files.size(file) == 0) {
            assertThat(System.nanoTime()).as("%s written", file).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
