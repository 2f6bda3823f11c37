package io.krunctl.cli;

import io.krunctl.nativeio.Signals;
import io.krunctl.nativeio.Terminal;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.agent.ExecClient;
import io.krunctl.vmm.agent.ExecRequest;
import io.krunctl.vmm.state.VmRegistry;
import io.krunctl.vmm.stdio.RawTerminal;
import io.krunctl.vmm.stdio.TerminalRelay;
import io.krunctl.vmm.stdio.WakeableStdin;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code krunctl exec NAME -- COMMAND...}: runs a process in a running VM, beside its workload. */
@Command(
        name = "exec",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Run COMMAND in the running VM named NAME (see krunctl run --name), beside its workload, through"
                    + " the guest agent, and exit with COMMAND's exit code.",
            "COMMAND's stdout and stderr are the command's stdout and stderr, separate and byte-exact. Its"
                    + " environment is the workload's (process.env of the spec) with PATH set if the spec did"
                    + " not, and -e on top; it starts in the workload's working directory unless -w says"
                    + " otherwise, as root unless -u says otherwise. Without -i its stdin is empty.",
            "With -it, COMMAND runs on a terminal of its own, for an interactive shell.",
            "SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 sent to krunctl exec are passed to COMMAND."
                    + " If krunctl exec itself is killed, COMMAND is killed too. An exec into a VM that is"
                    + " still booting waits up to 60 s for the guest agent.",
            "As an OCI runtime (--process), NAME is a container created by krunctl create, and the process,"
                    + " its environment, directory, user and terminal come from the process.json FILE."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl exec web -- cat /etc/hostname",
            "  printf 'abc' | krunctl exec -i web -- cat",
            "  krunctl exec -it web -- /bin/sh",
            "  krunctl exec -e K=V -w /tmp -u 1000:1000 web -- id"
        })
final class ExecCommand implements Callable<Integer> {
    /** The PATH an exec gets when the workload's environment has none. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final Pattern USER = Pattern.compile("(\\d{1,10})(?::(\\d{1,10}))?");
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*", Pattern.DOTALL);
    private static final int STDIN_BUFFER = 65_536;
    private static final int STDIN = 0;

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The running VM, or OCI container.")
    String name;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "COMMAND",
            description = "The program to run and its arguments (after '--').")
    List<String> command = new ArrayList<>();

    @Option(names = {"-i", "--interactive"}, description = "Pass krunctl's stdin to COMMAND, to its end of file.")
    boolean interactive;

    @Option(names = {"-t", "--tty"},
            description = "Give COMMAND a terminal of its own in the guest, relayed to yours (which must be one) in"
                    + " raw mode: with -i, keys such as ^C reach it as on a local terminal, and your window's size"
                    + " follows. stdout and stderr are then one stream.")
    boolean tty;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE",
            description = "Set an environment variable for COMMAND; repeatable.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory, absolute.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]",
            description = "Run as this numeric user, and group (default: the user's number).")
    String user;

    @Option(names = "--process", paramLabel = "FILE",
            description = "OCI runtime: run the process FILE describes (an OCI process.json: args, env, cwd, user,"
                    + " terminal) in the container NAME, instead of COMMAND.")
    Path processFile;

    @Option(names = "--pid-file", paramLabel = "FILE",
            description = "OCI runtime: write the pid of the process relaying the exec (whose exit status is the"
                    + " exec's) to FILE.")
    Path pidFile;

    @Option(names = {"-d", "--detach"},
            description = "OCI runtime: start the exec in a relay process of its own and return at once.")
    boolean detach;

    @Option(names = "--console-socket", paramLabel = "SOCKET",
            description = "OCI runtime: with a terminal, the AF_UNIX socket that receives its master.")
    Path consoleSocket;

    /** Set on the relay that an OCI exec starts: the --process file is its own copy, removed once read. */
    @Option(names = "--relay", hidden = true)
    boolean relay;

    @Option(names = {"--cwd", "--apparmor", "--process-label", "--cap", "--preserve-fds"}, hidden = true,
            paramLabel = "VALUE", description = "runc options, accepted and ignored.")
    List<String> ignoredValues = new ArrayList<>();

    @Option(names = "--no-new-privs", hidden = true, description = "runc option, accepted and ignored.")
    boolean noNewPrivs;

    @Override
    public Integer call() {
        Logging.configure(parent.debug, false);
        if (processFile != null) {
            return ContainerExec.run(this);
        }
        if (command.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'COMMAND'");
        }
        PrintWriter err = spec.commandLine().getErr();
        VmRegistry.Entry vm;
        try {
            vm = VmRegistry.ofCurrentUser().find(name);
        } catch (VmmException e) {
            return ExitCodes.reported(err, e);
        }
        Optional<Terminal.WindowSize> size = Optional.empty();
        if (tty) {
            if (!Terminal.isatty(STDIN)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "-t needs a terminal on stdin");
            }
            size = TerminalRelay.windowSize();
        }
        return session(vm.execSocket(), request(vm, size), interactive, tty, err);
    }

    /**
     * Runs {@code request} through the exec socket of a VM: stdin (when {@code interactive}),
     * stdout and stderr relayed, signals passed on, the terminal raw for the session with
     * {@code tty}; answers the process's exit code.
     */
    static int session(Path execSocket, ExecRequest request, boolean interactive, boolean tty, PrintWriter err) {
        RawTerminal terminal = null;
        try (ExecClient client = ExecClient.connect(execSocket)) {
            HostSignals.route(signal -> {
                if (signal != Signals.SIGWINCH) {
                    client.signal(signal);
                } else if (tty) {
                    TerminalRelay.windowSize().ifPresent(s -> client.resize(s.rows(), s.cols()));
                }
            });
            if (tty) {
                terminal = RawTerminal.save(STDIN);
                terminal.enter();
            }
            WakeableStdin stdin = interactive ? new WakeableStdin(STDIN_BUFFER) : null;
            try {
                ExecClient.Outcome outcome = client.run(request, stdin, new FileOutputStream(FileDescriptor.out),
                        new FileOutputStream(FileDescriptor.err));
                if (terminal != null) {
                    terminal.restore();
                }
                outcome.failure().ifPresent(reason -> {
                    err.println("krunctl: exec: " + reason);
                    err.flush();
                });
                return outcome.exitCode();
            } finally {
                if (stdin != null) {
                    stdin.wake();
                }
                if (terminal != null) {
                    terminal.restore();
                }
            }
        } catch (IOException e) {
            err.println("krunctl: exec: " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        } finally {
            HostSignals.route(null);
        }
    }

    private ExecRequest request(VmRegistry.Entry vm, Optional<Terminal.WindowSize> size) {
        Map<String, String> environment = new LinkedHashMap<>(vm.env());
        environment.putIfAbsent("PATH", DEFAULT_PATH);
        if (tty) {
            environment.putIfAbsent("TERM", Optional.ofNullable(System.getenv("TERM")).orElse("xterm"));
        }
        for (String assignment : env) {
            if (!ENV.matcher(assignment).matches()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "-e " + assignment
                        + ": write NAME=VALUE, NAME made of letters, digits and '_'");
            }
            int eq = assignment.indexOf('=');
            environment.put(assignment.substring(0, eq), assignment.substring(eq + 1));
        }
        List<String> envList = new ArrayList<>();
        environment.forEach((k, v) -> envList.add(k + "=" + v));
        String dir = workdir != null ? workdir : vm.workdir();
        if (!dir.startsWith("/")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "-w " + dir + ": the directory must be"
                    + " absolute");
        }
        int uid = 0;
        int gid = 0;
        if (user != null) {
            var m = USER.matcher(user);
            if (!m.matches()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "-u " + user
                        + ": write a numeric UID or UID:GID, e.g. 1000:1000");
            }
            uid = Integer.parseUnsignedInt(m.group(1));
            gid = m.group(2) != null ? Integer.parseUnsignedInt(m.group(2)) : uid;
        }
        return new ExecRequest(command, envList, dir, uid, gid, tty, size.map(Terminal.WindowSize::rows).orElse(24),
                size.map(Terminal.WindowSize::cols).orElse(80));
    }
}
