package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.state.VmRegistry;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl kill NAME [SIGNAL]}: a signal to a running VM's workload. */
@Command(
        name = "kill",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Send SIGNAL (default TERM) to the workload of the running VM named NAME, or of the OCI container NAME, as if it were sent to the"
                    + " krunctl run that supervises it: HUP, INT, QUIT, TERM, USR1 and USR2 reach the workload (a"
                    + " second INT or TERM stops the VM hard), and KILL stops the VM at once.",
            "SIGNAL is a name, with or without SIG, or a number."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl kill web", "  krunctl kill web HUP", "  krunctl kill web 9"})
final class KillCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The running VM.")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIGNAL", defaultValue = "TERM",
            description = "The signal. Default: ${DEFAULT-VALUE}.")
    String signal;

    @ParentCommand
    Main parent;

    @Option(names = {"-a", "--all"}, description = "OCI runtime option, accepted: the container's processes all"
            + " live in its VM, which the signal reaches through its program.")
    boolean all;

    @Override
    public Integer call() {
        Optional<ContainerStore.Container> container = ContainerStore.ofCurrentUser().find(name);
        if (container.isPresent()) {
            return killContainer(parent, container.get(), signal, spec.commandLine().getErr());
        }
        OptionalInt number = Signals.parse(signal);
        if (number.isEmpty() || !forwardable(number.getAsInt())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "SIGNAL " + signal
                    + ": krunctl passes on HUP, INT, QUIT, TERM, USR1, USR2 and KILL, by name or number");
        }
        PrintWriter err = spec.commandLine().getErr();
        try {
            VmRegistry.Entry vm = VmRegistry.ofCurrentUser().find(name);
            Signals.kill(vm.pid(), number.getAsInt());
            return ExitCodes.OK;
        } catch (VmmException e) {
            return ExitCodes.reported(err, e);
        } catch (NativeException e) {
            err.println("krunctl: cannot signal the VM named " + name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        }
    }

    /**
     * An OCI container: the signal goes to its supervisor, which passes it on to the program;
     * SIGKILL also goes to QEMU. SIGWINCH and SIGCONT (an engine sends them on attach and
     * resume) are taken without harm.
     */
    static int killContainer(Main parent, ContainerStore.Container c, String signal, PrintWriter err) {
        OptionalInt number = Signals.parse(signal);
        if (number.isEmpty() || !(forwardable(number.getAsInt()) || number.getAsInt() == Signals.SIGWINCH
                || number.getAsInt() == Signals.SIGCONT)) {
            return parent.ociFailure(err, "signal " + signal + ": krunctl passes on HUP, INT, QUIT, TERM, USR1, USR2,"
                    + " WINCH, CONT and KILL, by name or number");
        }
        ContainerStore.Status status = c.status();
        if (status != ContainerStore.Status.CREATED && status != ContainerStore.Status.RUNNING) {
            return parent.ociFailure(err, "container " + c.id() + " is " + status.json()
                    + ": only a created or running container can be signalled");
        }
        int n = number.getAsInt();
        try {
            Signals.kill(c.supervisor().orElseThrow().pid(), n);
            if (n == Signals.SIGKILL) {
                // Usually gone with its supervisor already (it dies with it).
                c.qemu().ifPresent(q -> q.kill(Signals.SIGKILL));
            }
            return ExitCodes.OK;
        } catch (NativeException e) {
            return parent.ociFailure(err, "cannot signal container " + c.id() + ": " + e.getMessage());
        }
    }

    /** The signals the supervisor passes on, and SIGKILL, which ends it and with it QEMU. */
    static boolean forwardable(int signal) {
        return switch (signal) {
            case Signals.SIGHUP, Signals.SIGINT, Signals.SIGQUIT, Signals.SIGTERM, Signals.SIGUSR1, Signals.SIGUSR2,
                    Signals.SIGKILL -> true;
            default -> false;
        };
    }
}
