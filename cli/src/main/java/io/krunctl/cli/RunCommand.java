package io.krunctl.cli;

import io.krunctl.cli.spec.SpecError;
import io.krunctl.cli.spec.SpecException;
import io.krunctl.cli.spec.SpecLoader;
import io.krunctl.vmm.LaunchOptions;
import io.krunctl.vmm.VmLauncher;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.VmConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl run SPEC}: boots the VM a spec describes and exits with its workload's code. */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Boot the microVM described by SPEC, run its workload and exit with the workload's exit code.",
            "The workload's stdout and stderr are the command's stdout and stderr; krunctl's own messages"
                    + " and the guest console never appear on stdout."
        })
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The VM spec (YAML).")
    Path specFile;

    @Option(names = "--console", paramLabel = "FILE",
            description = "Write the guest console (kernel and init messages) to FILE.")
    Path consoleLog;

    @Option(names = {"-v", "--verbose"},
            description = "Report progress on stderr and log the kernel at full verbosity to the console.")
    boolean verbose;

    @Override
    public Integer call() {
        Logging.configure(parent.debug, verbose);
        PrintWriter err = spec.commandLine().getErr();
        VmConfig config;
        try {
            config = SpecLoader.load(specFile);
        } catch (SpecException e) {
            for (SpecError error : e.errors()) {
                err.println(error);
            }
            err.flush();
            return e.unreadable() ? ExitCodes.SPEC_UNREADABLE : ExitCodes.SPEC_INVALID;
        }
        LaunchOptions defaults = LaunchOptions.defaults();
        LaunchOptions options = new LaunchOptions(defaults.accelerator(), Optional.ofNullable(consoleLog),
                verbose, defaults.kernelCache());
        try {
            return VmLauncher.run(config, options);
        } catch (VmmException e) {
            err.println("krunctl: " + e.getMessage());
            if (parent.debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return switch (e.kind()) {
                case MISSING_PREREQUISITE -> ExitCodes.UNAVAILABLE;
                case BAD_CONFIGURATION -> ExitCodes.SPEC_INVALID;
                case VM_FAILED -> ExitCodes.VM_FAILED;
            };
        }
    }
}
