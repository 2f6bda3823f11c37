package io.krunctl.cli;

import io.krunctl.cli.oci.BundleMapping;
import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciConfig;
import io.krunctl.cli.oci.OciException;
import io.krunctl.cli.oci.StartSignal;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.LaunchOptions;
import io.krunctl.vmm.Vm;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.state.ProcessIdentity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code krunctl supervise ID} (internal, started by {@code create}): the container's process. It
 * prepares the VM, reports the container created, waits for {@code start}, then boots the VM and
 * runs the program exactly as {@code krunctl run} does, relaying stdin, stdout and stderr (or the
 * terminal) and passing signals on, and exits with the program's exit code, which the engine
 * (conmon) reads from this process's wait status.
 */
@Command(name = "supervise", hidden = true, mixinStandardHelpOptions = true,
        description = "Internal: the supervisor of an OCI container, started by krunctl create.")
final class SuperviseCommand implements Callable<Integer> {
    /**
     * The engine times a stop itself ({@code podman stop -t N} sends SIGKILL after N s): the
     * workload is given all the time it wants after SIGTERM.
     */
    private static final Duration STOP_TIMEOUT = Duration.ofDays(1);

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        return supervise(spec.commandLine().getErr());
    }

    /** The command, with its fields set by picocli or by {@link OciFastPath}. */
    int supervise(java.io.PrintWriter err) {
        ContainerStore store = ContainerStore.ofCurrentUser();
        ContainerStore.Container container;
        try {
            container = store.get(id);
            // First thing, so that create knows whom to wait for.
            container = container.with(ContainerStore.Phase.CREATING, Optional.of(ProcessIdentity.current()),
                    Optional.empty());
            store.update(container);
        } catch (OciException | IOException e) {
            return parent.ociFailure(err, e.getMessage());
        }
        Logging.toFile(container.supervisorLog(), parent.debug);
        Logger log = LogManager.getLogger(SuperviseCommand.class);
        StartSignal start = null;
        Vm vm = null;
        try {
            BundleMapping.Container mapped = BundleMapping.map(
                    OciConfig.read(container.bundle().resolve("config.json")), container.bundle(), id);
            LaunchOptions options = LaunchOptions.defaults()
                    .withStdio(mapped.terminal() ? LaunchOptions.StdioMode.TERMINAL : LaunchOptions.StdioMode.PIPES)
                    .withStopTimeout(STOP_TIMEOUT);
            vm = Vm.prepare(mapped.vm(), options);
            vm.serveExec(container.execSocket());
            start = StartSignal.listen(container.startSocket());
            StartSignal waiting = start;
            // Before start, a signal ends the container as it would end its program.
            HostSignals.route(signal -> {
                if (signal != Signals.SIGWINCH) {
                    waiting.abandon(signal);
                }
            });
            container = container.with(ContainerStore.Phase.CREATED, container.supervisor(), Optional.empty());
            store.update(container);
        } catch (OciException | VmmException | IOException | RuntimeException e) {
            log.error("cannot create container {}: {}", id, e.getMessage(), e);
            leaveFailure(container, e.getMessage());
            close(start, vm);
            return ExitCodes.OCI_FAILED;
        }
        try {
            StartSignal.Request request = start.await();
            if (request instanceof StartSignal.Request.Abandoned abandoned) {
                log.info("signal {} before start: the container ends without running", abandoned.signal());
                return 128 + abandoned.signal();
            }
            HostSignals.route(vm::hostSignal);
            vm.start();
            Optional<ProcessIdentity> qemu = ProcessIdentity.of(vm.qemuPid().orElse(-1));
            store.update(container.with(ContainerStore.Phase.STARTED, container.supervisor(), qemu));
            ((StartSignal.Request.Start) request).started();
            start.close();
            start = null;
            return vm.waitForExit();
        } catch (VmmException | IOException e) {
            log.error("container {}: {}", id, e.getMessage(), e);
            // The container's stderr: the engine shows it with the program's own output.
            err.println("krunctl: " + e.getMessage());
            err.flush();
            return e instanceof VmmException v ? ExitCodes.of(v.kind()) : ExitCodes.VM_FAILED;
        } finally {
            HostSignals.route(null);
            close(start, vm);
        }
    }

    private static void leaveFailure(ContainerStore.Container container, String message) {
        try {
            Files.writeString(container.failure(), String.valueOf(message) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            // create then reports the exit status alone.
        }
    }

    private static void close(StartSignal start, Vm vm) {
        if (start != null) {
            start.close();
        }
        if (vm != null) {
            vm.close();
        }
    }
}
