package io.krunctl.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code krunctl} command: parses the command line and hands over to a subcommand. */
@Command(
        name = "krunctl",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Run a workload inside a Linux microVM described by a YAML spec (see krunctl-spec(5)).",
        synopsisSubcommandLabel = "COMMAND",
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl run specs/hello.yaml",
            "  krunctl run app.yaml --set memory=1Gi -- /bin/sh -c 'echo hi'",
            "  krunctl validate specs/*.yaml",
            "  krunctl schema > krunctl-spec.schema.json",
            "  source <(krunctl completion bash)"
        })
public final class Main implements Callable<Integer> {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Log everything to stderr and show stack traces of internal errors.")
    boolean debug;

    @Option(names = "--root", paramLabel = "DIR",
            description = "OCI runtime option, accepted and ignored: containers are kept in /run/krunctl/oci"
                    + " (for root), since callers do not pass --root to every command.")
    Path root;

    @Option(names = "--log", paramLabel = "FILE",
            description = "OCI runtime option: also append the error of a failed command to FILE.")
    Path logFile;

    @Option(names = "--log-format", paramLabel = "FORMAT",
            description = "OCI runtime option: the --log file's format, text (default) or json.")
    String logFormat = "text";

    @Option(names = "--systemd-cgroup", description = "OCI runtime option, accepted and ignored (no cgroups are"
            + " made: the VM is the container's boundary).")
    boolean systemdCgroup;

    @Option(names = "--cgroup-manager", paramLabel = "MANAGER", description = "OCI runtime option, accepted and"
            + " ignored.")
    String cgroupManager;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        // No command given: the usage is the error message.
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /**
     * Reports an OCI command's failure: one line on stderr and, with {@code --log}, one entry in
     * that file (a JSON object with {@code --log-format json}, as runc writes them).
     *
     * @return {@link ExitCodes#OCI_FAILED}
     */
    int ociFailure(java.io.PrintWriter err, String message) {
        err.println("krunctl: " + message);
        err.flush();
        if (logFile != null) {
            OciLog.append(logFile, logFormat, message);
        }
        return ExitCodes.OCI_FAILED;
    }

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // The version alone needs no parser and no signal reader: skipping picocli's reflective
            // model keeps this call at JVM start-up cost. The text is the one picocli prints.
            System.out.println(VersionProvider.versionLine());
            System.exit(0);
        }
        // Before anything slow: the launcher blocks the handled signals, and only this reads them.
        HostSignals.install();
        OptionalInt oci = OciFastPath.tryRun(args, new PrintWriter(System.out), new PrintWriter(System.err));
        int code = oci.isPresent() ? oci.getAsInt() : execute(args);
        HostSignals.stopReading();
        System.exit(code);
    }

    /** Runs krunctl with {@code args} and returns the exit code, without exiting the JVM. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), Help.Ansi.AUTO, args);
    }

    /**
     * Runs krunctl with its own output and error streams, for tests and embedding.
     *
     * @param ansi whether help may use colours ({@link Help.Ansi#OFF} for byte-exact output)
     */
    static int execute(PrintWriter out, PrintWriter err, Help.Ansi ansi, String... args) {
        GlobalOptions.Split split = GlobalOptions.split(new CommandLine(new Main()), COMMANDS, args);
        // help and completion describe every command; a name that is no command gets picocli's message.
        CommandLine cli = split.command().filter(c -> !c.equals("help") && !c.equals("completion"))
                .map(c -> commandLine(List.of(c))).orElseGet(Main::commandLine);
        cli.setOut(out).setErr(err).setColorScheme(Help.defaultColorScheme(ansi));
        try {
            return cli.execute(split.args());
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * The fully configured command tree: commands, options, the exit-code sections built from
     * {@link ExitCodes#TABLE}, and the error handlers. The man pages are generated from this too.
     */
    static CommandLine commandLine() {
        return commandLine(COMMANDS);
    }

    /**
     * The commands, in the order help lists them. The command tree holds only the one a command
     * line names: picocli reads each command's annotations when it is added, and an engine calls
     * start, state, kill and delete for every container, where reading all of them cost a
     * quarter of a second.
     */
    private static final List<String> COMMANDS = List.of("run", "exec", "ps", "logs", "stop", "kill", "create",
            "start", "state", "delete", "features", "supervise", "validate", "schema", "init-binary", "completion", "help");

    /** A new instance of the command {@code name}, one of {@link #COMMANDS}. */
    private static Object newCommand(String name) {
        return switch (name) {
            case "run" -> new RunCommand();
            case "exec" -> new ExecCommand();
            case "ps" -> new PsCommand();
            case "logs" -> new LogsCommand();
            case "stop" -> new StopCommand();
            case "kill" -> new KillCommand();
            case "create" -> new CreateCommand();
            case "start" -> new StartCommand();
            case "state" -> new StateCommand();
            case "delete" -> new DeleteCommand();
            case "features" -> new FeaturesCommand();
            case "supervise" -> new SuperviseCommand();
            case "validate" -> new ValidateCommand();
            case "schema" -> new SchemaCommand();
            case "init-binary" -> new InitBinaryCommand();
            case "completion" -> new CompletionCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> throw new IllegalArgumentException("no command " + name);
        };
    }

    /** The command tree with the commands {@code names}. */
    private static CommandLine commandLine(java.util.Collection<String> names) {
        CommandLine cli = new CommandLine(new Main());
        for (String name : names) {
            cli.addSubcommand(name, newCommand(name));
        }
        exitCodeSection(cli, "");
        for (CommandLine sub : cli.getSubcommands().values()) {
            exitCodeSection(sub, sub.getCommandName());
        }
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
            cmd.getErr().flush();
            return ExitCodes.USAGE;
        });
        return cli;
    }

    private static void exitCodeSection(CommandLine cmd, String command) {
        Map<String, String> codes = new LinkedHashMap<>();
        for (ExitCodes.Row row : ExitCodes.forCommand(command)) {
            // One entry per code: rows for different commands that share a code are joined.
            codes.merge(row.codes(), row.meaning(), (a, b) -> a + " " + b);
        }
        cmd.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
    }
}
