package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.cli.oci.OciException;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.state.ProcessIdentity;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl delete ID}: the OCI runtime's delete. */
@Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "OCI runtime: remove the stopped container ID: its record, sockets and logs. The id can then be"
                    + " created again. With --force, a container that still runs is killed first (its supervisor"
                    + " and QEMU), and an id that does not exist is not an error."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl delete c1", "  krunctl delete --force c1"})
final class DeleteCommand implements Callable<Integer> {
    /** How long the killed processes have to vanish. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "The container.")
    String id;

    @Option(names = {"-f", "--force"}, description = "Kill the container if it runs; succeed if it does not exist.")
    boolean force;

    @Override
    public Integer call() {
        return delete(parent, id, force, spec.commandLine().getErr());
    }

    static int delete(Main parent, String id, boolean force, java.io.PrintWriter err) {
        ContainerStore store = ContainerStore.ofCurrentUser();
        try {
            Optional<ContainerStore.Container> found = store.find(id);
            if (found.isEmpty()) {
                if (force) {
                    return ExitCodes.OK;
                }
                throw new OciException("container " + id + " does not exist");
            }
            ContainerStore.Container c = found.get();
            ContainerStore.Status status = c.status();
            if (status != ContainerStore.Status.STOPPED) {
                if (!force) {
                    throw new OciException("container " + id + " is " + status.json() + ": stop it first, or"
                            + " delete it with --force");
                }
                killAndWait(c);
            }
            store.remove(c);
            return ExitCodes.OK;
        } catch (OciException e) {
            return parent.ociFailure(err, e.getMessage());
        }
    }

    /** SIGKILL to the supervisor and QEMU, then waits until neither runs. */
    private static void killAndWait(ContainerStore.Container c) throws OciException {
        c.supervisor().ifPresent(p -> p.kill(Signals.SIGKILL));
        c.qemu().ifPresent(p -> p.kill(Signals.SIGKILL));
        long deadline = System.nanoTime() + KILL_WAIT.toNanos();
        while (c.supervisor().map(ProcessIdentity::alive).orElse(false) || c.qemu().map(ProcessIdentity::alive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                throw new OciException("container " + c.id() + " still runs " + KILL_WAIT.toSeconds()
                        + " s after SIGKILL");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OciException("interrupted while killing container " + c.id());
            }
        }
    }
}
