package io.krunctl.cli;

import io.krunctl.cli.oci.BundleMapping;
import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciConfig;
import io.krunctl.cli.oci.OciException;
import io.krunctl.cli.oci.PidFile;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.state.ProcessIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code krunctl create ID}: the OCI runtime's create. Sets the container up without running its
 * program: reads the bundle's config.json, refuses what a VM cannot honour, starts the container's
 * supervisor (the container's pid, which prepares the VM's devices and then waits for
 * {@code start}), and returns once it is ready, with its pid in {@code --pid-file}.
 */
@Command(
        name = "create",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "OCI runtime: create the container ID from the bundle's config.json (see krunctl-oci(7)), ready to"
                    + " boot: its VM is prepared and its supervisor, the container's process, waits for krunctl"
                    + " start. Nothing of the container's program runs yet.",
            "The supervisor keeps this command's stdin, stdout and stderr for the program's; with"
                    + " process.terminal it gets a new terminal, whose master is sent to --console-socket."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl create --bundle /srv/bundle --pid-file /run/c1.pid c1", "  krunctl start c1"})
final class CreateCommand implements Callable<Integer> {
    /** How long the supervisor may take to prepare the VM (the kernel may have to be fetched first). */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(200);
    /** How long the supervisor may take to start and record itself. */
    private static final Duration SUPERVISOR_START_TIMEOUT = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 10;

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The new container's id.")
    String id;

    @Option(names = {"-b", "--bundle"}, paramLabel = "DIR",
            description = "The bundle directory, with config.json. Default: the current directory.")
    Path bundle = Path.of("");

    @Option(names = "--pid-file", paramLabel = "FILE", description = "Write the container's pid to FILE.")
    Path pidFile;

    @Option(names = "--console-socket", paramLabel = "SOCKET",
            description = "With process.terminal: the AF_UNIX socket that receives the terminal's master.")
    Path consoleSocket;

    @Option(names = "--preserve-fds", paramLabel = "N", hidden = true,
            description = "Accepted; no host descriptor can be passed into a VM.")
    int preserveFds;

    @Option(names = {"--no-pivot", "--no-new-keyring"}, hidden = true, description = "Accepted and ignored.")
    boolean ignored;

    @Override
    public Integer call() {
        return create(spec.commandLine().getErr());
    }

    /** The command, with its fields set by picocli or by {@link OciFastPath}. */
    int create(java.io.PrintWriter err) {
        ContainerStore store = ContainerStore.ofCurrentUser();
        Path bundleDir = bundle.toAbsolutePath().normalize();
        BundleMapping.Container mapped;
        try {
            ContainerStore.requireValidId(id);
            OciConfig config = OciConfig.read(bundleDir.resolve("config.json"));
            mapped = BundleMapping.map(config, bundleDir, id);
            if (mapped.terminal() && consoleSocket == null) {
                throw new OciException("config.json asks for a terminal (process.terminal) but no --console-socket"
                        + " was given to send it to");
            }
            store.create(id, bundleDir, config.annotations() == null ? Map.of() : config.annotations());
        } catch (OciException e) {
            return parent.ociFailure(err, e.getMessage());
        }
        try {
            startSupervisor(mapped.terminal());
            ProcessIdentity supervisor = awaitReady(store);
            if (pidFile != null) {
                PidFile.write(pidFile, supervisor.pid());
            }
            return ExitCodes.OK;
        } catch (OciException e) {
            undo(store);
            return parent.ociFailure(err, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            undo(store);
            return parent.ociFailure(err, "interrupted while creating container " + id);
        }
    }

    /**
     * Starts the supervisor, orphaned at once (see {@link Relaunch.Session#ORPHAN}), so that a caller
     * which is a subreaper (conmon) becomes its parent and can wait for it. Without a terminal it
     * keeps this command's stdin, stdout and stderr (ProcessBuilder closes every other descriptor);
     * with one, the terminal's slave on all three, as its controlling terminal.
     */
    private void startSupervisor(boolean terminal) throws OciException, InterruptedException {
        String launcher = Relaunch.launcher().orElseThrow(() -> new OciException(Relaunch.noLauncher("create")));
        List<String> args = new ArrayList<>();
        if (parent.debug) {
            args.add("--debug");
        }
        args.addAll(List.of("supervise", id));
        ProcessBuilder pb = Relaunch.withStdio(Relaunch.command(launcher,
                terminal ? Relaunch.Session.ORPHAN_WITH_TERMINAL : Relaunch.Session.ORPHAN, args),
                terminal ? Optional.of(consoleSocket) : Optional.empty());
        try {
            Process setsid = pb.start();
            if (setsid.waitFor() != 0) {
                throw new OciException("cannot start the container's supervisor: setsid exited with status "
                        + setsid.exitValue());
            }
        } catch (IOException e) {
            throw new OciException("cannot start the container's supervisor: " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the supervisor reports the container created, or fails with its reason.
     *
     * @return the supervisor, the container's process
     */
    private ProcessIdentity awaitReady(ContainerStore store) throws OciException, InterruptedException {
        long started = System.nanoTime();
        while (System.nanoTime() - started < READY_TIMEOUT.toNanos()) {
            Optional<ContainerStore.Container> now = store.find(id);
            Optional<ProcessIdentity> supervisor = now.flatMap(ContainerStore.Container::supervisor);
            if (now.isPresent() && now.get().phase() == ContainerStore.Phase.CREATED) {
                return supervisor.orElseThrow();
            }
            if (supervisor.isPresent() && !supervisor.get().alive()) {
                throw new OciException(firstLine(now.get().failure()).orElse("the container's supervisor ended"
                        + " before the container was created (its log: " + now.get().supervisorLog() + ")"));
            }
            if (supervisor.isEmpty() && System.nanoTime() - started > SUPERVISOR_START_TIMEOUT.toNanos()) {
                throw new OciException("the container's supervisor did not start within "
                        + SUPERVISOR_START_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new OciException("the container's VM was not ready within " + READY_TIMEOUT.toSeconds() + " s");
    }

    /** A failed create leaves nothing behind: no supervisor, no record, no pid file. */
    private void undo(ContainerStore store) {
        Optional<ContainerStore.Container> container = store.find(id);
        container.flatMap(ContainerStore.Container::supervisor).ifPresent(p -> p.kill(Signals.SIGKILL));
        container.ifPresent(store::remove);
    }

    private static Optional<String> firstLine(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
