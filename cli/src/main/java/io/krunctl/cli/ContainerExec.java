package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciConfig;
import io.krunctl.cli.oci.OciException;
import io.krunctl.cli.oci.PidFile;
import io.krunctl.nativeio.Terminal;
import io.krunctl.vmm.agent.ExecRequest;
import io.krunctl.vmm.stdio.TerminalRelay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code krunctl exec --process FILE ID}: the OCI runtime's exec (runc's extension, which podman
 * and conmon use). The process runs in the container's VM through the guest agent. With
 * {@code --detach} or {@code --console-socket}, a relay process (krunctl exec again, with a copy of
 * FILE, since the engine deletes it) carries the session: it is this command's child, so a
 * subreaper caller inherits it, and its exit status is the process's. Without, this command is the
 * relay.
 */
final class ContainerExec {
    private static final java.time.Duration RELAY_START_TIMEOUT = java.time.Duration.ofSeconds(60);

    private ContainerExec() {}

    static int run(ExecCommand cmd) {
        PrintWriter err = cmd.spec.commandLine().getErr();
        try {
            boolean inline = !cmd.detach && cmd.consoleSocket == null;
            if (inline && cmd.pidFile != null) {
                // First thing: the exec's caller waits for it, and this process's end is the exec's.
                PidFile.write(cmd.pidFile, ProcessHandle.current().pid());
            }
            ContainerStore.Container c = ContainerStore.ofCurrentUser().get(cmd.name);
            if (c.status() != ContainerStore.Status.RUNNING) {
                throw new OciException("container " + c.id() + " is " + c.status().json()
                        + ": exec needs a running container");
            }
            OciConfig.Process process = OciConfig.readProcess(cmd.processFile);
            if (cmd.relay) {
                Files.deleteIfExists(cmd.processFile);
            }
            boolean terminal = cmd.tty || process.isTerminal();
            if (!inline) {
                return startRelay(cmd, c, terminal);
            }
            boolean tty = terminal && Terminal.isatty(0);
            return ExecCommand.session(c.execSocket(), request(process, tty), true, tty, err);
        } catch (OciException e) {
            return cmd.parent.ociFailure(err, e.getMessage());
        } catch (IOException e) {
            return cmd.parent.ociFailure(err, "exec: " + e.getMessage());
        }
    }

    private static int startRelay(ExecCommand cmd, ContainerStore.Container c, boolean terminal)
            throws OciException, IOException {
        String launcher = Relaunch.launcher().orElseThrow(() -> new OciException(Relaunch.noLauncher("exec")));
        if (terminal && cmd.consoleSocket == null) {
            throw new OciException("the process asks for a terminal but no --console-socket was given");
        }
        Path copy = c.dir().resolve("exec-" + UUID.randomUUID() + ".json");
        Files.copy(cmd.processFile, copy);
        List<String> args = new ArrayList<>();
        if (cmd.parent.debug) {
            args.add("--debug");
        }
        args.addAll(List.of("exec", "--relay", "--process", copy.toString()));
        if (terminal) {
            args.add("--tty");
        }
        // A detached relay is orphaned at once (its caller, a subreaper, adopts it) and writes its
        // own pid, which this process cannot know.
        if (cmd.detach && cmd.pidFile != null) {
            Files.deleteIfExists(cmd.pidFile);
            args.addAll(List.of("--pid-file", cmd.pidFile.toAbsolutePath().toString()));
        }
        args.add(c.id());
        Relaunch.Session session = cmd.detach
                ? (terminal ? Relaunch.Session.ORPHAN_WITH_TERMINAL : Relaunch.Session.ORPHAN)
                : (terminal ? Relaunch.Session.NEW_WITH_TERMINAL : Relaunch.Session.NEW);
        ProcessBuilder pb = Relaunch.withStdio(Relaunch.command(launcher, session, args),
                terminal ? Optional.of(cmd.consoleSocket) : Optional.empty());
        Process relay;
        try {
            relay = pb.start();
        } catch (IOException e) {
            Files.deleteIfExists(copy);
            throw new OciException("cannot start the exec relay: " + e.getMessage(), e);
        }
        try {
            if (!cmd.detach) {
                if (cmd.pidFile != null) {
                    PidFile.write(cmd.pidFile, relay.pid());
                }
                return relay.waitFor();
            }
            if (relay.waitFor() != 0) {
                throw new OciException("cannot start the exec relay: setsid exited with status " + relay.exitValue());
            }
            if (cmd.pidFile != null) {
                awaitPidFile(cmd.pidFile);
            }
            return ExitCodes.OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.VM_FAILED;
        }
    }

    /** Waits for the detached relay to record its pid, which the caller reads as soon as exec returns. */
    private static void awaitPidFile(Path pidFile) throws OciException, InterruptedException {
        long deadline = System.nanoTime() + RELAY_START_TIMEOUT.toNanos();
        while (!Files.exists(pidFile)) {
            if (System.nanoTime() > deadline) {
                throw new OciException("the exec relay did not start within " + RELAY_START_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(5);
        }
    }

    private static ExecRequest request(OciConfig.Process p, boolean tty) throws OciException {
        if (p.args() == null || p.args().isEmpty()) {
            throw new OciException("process.args is empty; name the program to run");
        }
        List<String> env = new ArrayList<>(p.env() == null ? List.of() : p.env());
        if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
            env.add("PATH=" + ExecCommand.DEFAULT_PATH);
        }
        String cwd = p.cwd() == null || p.cwd().isEmpty() ? "/" : p.cwd();
        long uid = p.user() == null || p.user().uid() == null ? 0 : p.user().uid();
        long gid = p.user() == null || p.user().gid() == null ? 0 : p.user().gid();
        Optional<Terminal.WindowSize> size = tty ? TerminalRelay.windowSize() : Optional.empty();
        try {
            return new ExecRequest(p.args(), env, cwd, Math.toIntExact(uid), Math.toIntExact(gid), tty,
                    size.map(Terminal.WindowSize::rows).orElse(24), size.map(Terminal.WindowSize::cols).orElse(80));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new OciException("process: " + e.getMessage());
        }
    }
}
