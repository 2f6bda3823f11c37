package io.krunctl.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code krunctl} command: parses the command line and hands over to a subcommand. */
@Command(
        name = "krunctl",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Run a workload inside a Linux microVM described by a YAML spec.",
        subcommands = {RunCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0-255:The workload's own exit code (125 setup failure in the guest, 126 cannot"
                    + " execute, 127 not found, 128+N killed by signal N).",
            "64:Usage error: unknown option or missing argument.",
            "65:The spec is invalid.",
            "66:The spec file cannot be read.",
            "69:A prerequisite is missing (QEMU, the kernel package).",
            "70:The VM failed before the workload reported its exit code."
        })
public final class Main implements Callable<Integer> {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Log everything to stderr and show stack traces of internal errors.")
    boolean debug;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return ExitCodes.USAGE;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs krunctl with {@code args} and returns the exit code, without exiting the JVM. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // An internal error: one line for the user, the stack trace only when asked for.
            cmd.getErr().println("krunctl: internal error: " + ex);
            if (parsed.hasMatchedOption("--debug") || parsed.subcommands().stream()
                    .anyMatch(sub -> sub.hasMatchedOption("--debug"))) {
                ex.printStackTrace(cmd.getErr());
            }
            cmd.getErr().flush();
            return ExitCodes.VM_FAILED;
        });
        cli.setParameterExceptionHandler((ex, a) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("krunctl: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return ExitCodes.USAGE;
        });
        return cli.execute(args);
    }
}
