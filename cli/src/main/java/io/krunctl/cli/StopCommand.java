package io.krunctl.cli;

import io.krunctl.nativeio.NativeException;
import io.krunctl.nativeio.Signals;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.state.VmRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code krunctl stop [-t SECONDS] NAME}: SIGTERM to a VM's workload, a hard stop after the grace time. */
@Command(
        name = "stop",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Stop the running VM named NAME: send its workload SIGTERM, and if it has not exited after the grace"
                    + " time, stop the VM hard. Returns once the VM has ended."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl stop web", "  krunctl stop -t 30 web"})
final class StopCommand implements Callable<Integer> {
    /** How long a hard stop may take before the supervisor itself is killed. */
    private static final Duration HARD_STOP = Duration.ofSeconds(10);
    private static final long POLL_MILLIS = 50;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The running VM.")
    String name;

    @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", defaultValue = "10",
            description = "How long the workload has to exit after SIGTERM. Default: ${DEFAULT-VALUE}.")
    int seconds;

    @Override
    public Integer call() {
        if (seconds < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "-t must be 0 or more seconds");
        }
        PrintWriter err = spec.commandLine().getErr();
        try {
            VmRegistry.Entry vm = VmRegistry.ofCurrentUser().find(name);
            Signals.kill(vm.pid(), Signals.SIGTERM);
            if (ended(vm, Duration.ofSeconds(seconds))) {
                return ExitCodes.OK;
            }
            // A second SIGTERM, well apart from the first, is the supervisor's hard stop.
            Signals.kill(vm.pid(), Signals.SIGTERM);
            if (ended(vm, HARD_STOP)) {
                return ExitCodes.OK;
            }
            Signals.kill(vm.pid(), Signals.SIGKILL);
            ended(vm, HARD_STOP);
            return ExitCodes.OK;
        } catch (VmmException e) {
            return ExitCodes.reported(err, e);
        } catch (NativeException e) {
            if (e.errno() == io.krunctl.nativeio.Errno.ESRCH) {
                return ExitCodes.OK; // It ended on its own meanwhile.
            }
            err.println("krunctl: cannot stop the VM named " + name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.VM_FAILED;
        }
    }

    /** Waits up to {@code limit} for the supervisor to end; whether it did. */
    private static boolean ended(VmRegistry.Entry vm, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (vm.alive()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(POLL_MILLIS);
        }
        return true;
    }
}
