package io.krunctl.cli;

import io.krunctl.cli.oci.ConsoleSocket;
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
    private ContainerExec() {}

    static int run(ExecCommand cmd) {
        PrintWriter err = cmd.spec.commandLine().getErr();
        try {
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
            if (cmd.detach || cmd.consoleSocket != null) {
                return startRelay(cmd, c, terminal);
            }
            if (cmd.pidFile != null) {
                PidFile.write(cmd.pidFile, ProcessHandle.current().pid());
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
        args.add(c.id());
        ProcessBuilder pb;
        if (terminal) {
            Path slave = ConsoleSocket.sendNewTerminal(cmd.consoleSocket);
            pb = new ProcessBuilder(Relaunch.command(launcher, Relaunch.Session.NEW_WITH_TERMINAL, args))
                    .redirectInput(ProcessBuilder.Redirect.from(slave.toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(slave.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(slave.toFile()));
        } else {
            pb = new ProcessBuilder(Relaunch.command(launcher, Relaunch.Session.SAME, args)).inheritIO();
        }
        Process relay;
        try {
            relay = pb.start();
        } catch (IOException e) {
            Files.deleteIfExists(copy);
            throw new OciException("cannot start the exec relay: " + e.getMessage(), e);
        }
        if (cmd.pidFile != null) {
            PidFile.write(cmd.pidFile, relay.pid());
        }
        if (cmd.detach) {
            return ExitCodes.OK;
        }
        try {
            return relay.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.VM_FAILED;
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
