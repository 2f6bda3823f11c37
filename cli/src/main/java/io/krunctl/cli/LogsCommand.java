package io.krunctl.cli;

import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.state.VmRegistry;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code krunctl logs [-f] NAME}: a detached VM's output. */
@Command(
        name = "logs",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Print what the workload of the VM named NAME, started with krunctl run -d, wrote: its stdout on"
                    + " stdout, its stderr (with krunctl's own messages about the run) on stderr. Works while the"
                    + " VM runs and after it has exited, until its name is used again."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl logs web", "  krunctl logs -f web"})
final class LogsCommand implements Callable<Integer> {
    private static final long POLL_MILLIS = 100;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing what the workload writes until the VM ends.")
    boolean follow;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        VmRegistry.Entry vm;
        try {
            vm = VmRegistry.ofCurrentUser().get(name);
        } catch (VmmException e) {
            err.println("krunctl: " + e.getMessage());
            err.flush();
            return ExitCodes.of(e.kind());
        }
        if (!vm.detached()) {
            err.println("krunctl: the VM named " + name + " was not started with -d: its output goes to the"
                    + " terminal of its krunctl run");
            err.flush();
            return ExitCodes.USAGE;
        }
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        OutputStream stderr = new FileOutputStream(FileDescriptor.err);
        try (InputStream out = Files.newInputStream(vm.stdoutLog());
                InputStream errLog = Files.newInputStream(vm.stderrLog())) {
            while (true) {
                // Read the VM's state first: what was written before it ended is then all copied below.
                boolean running = follow && vm.alive();
                out.transferTo(stdout);
                errLog.transferTo(stderr);
                stdout.flush();
                stderr.flush();
                if (!running) {
                    return ExitCodes.OK;
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException e) {
            err.println("krunctl: cannot read the logs of " + name + ": " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.OK;
        }
    }
}
