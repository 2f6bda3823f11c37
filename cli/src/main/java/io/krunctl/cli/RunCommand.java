package io.krunctl.cli;

import io.krunctl.cli.spec.SpecError;
import io.krunctl.cli.spec.SpecException;
import io.krunctl.cli.spec.SpecLoader;
import io.krunctl.cli.spec.SpecOverride;
import io.krunctl.vmm.LaunchOptions;
import io.krunctl.vmm.Vm;
import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.state.VmRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
                    + " and the guest console never appear on stdout.",
            "In a pipeline (stdin, stdout or stderr not a terminal) the three streams are separate and"
                    + " byte-exact, a slow reader slows the workload down, and the end of stdin reaches the"
                    + " workload as end of file. When all three are terminals, the workload runs on the guest"
                    + " console as its controlling terminal, relayed to yours in raw mode: ^C, line editing and"
                    + " window size changes go to the guest, and your terminal's settings are restored on exit.",
            "SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 sent to krunctl are passed to the workload,"
                    + " and krunctl exits with the workload's code (128+N if signal N killed it). A second SIGINT"
                    + " or SIGTERM, or --stop-timeout after the first, stops the VM hard; krunctl then exits with"
                    + " 128+N. The same signal from the same sender within 100 ms counts once, as when timeout(1)"
                    + " signals krunctl and then its process group.",
            "The guest's wall clock follows the host's: krunctl sends its time when the workload starts and"
                    + " every 5 s, and the guest init steps the guest clock to it when they are more than 100 ms"
                    + " apart, so a host suspend or a workload's date -s leaves it wrong for 5 s at most."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  krunctl run specs/hello.yaml",
            "  krunctl run app.yaml --set memory=1Gi --set cpus=2 --set process.env.DEBUG=1",
            "  krunctl run app.yaml -- /bin/busybox sh -c 'echo override'",
            "  krunctl run app.yaml --set 'process.args=[/bin/busybox, uname, -a]'"
        })
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The VM spec (YAML, see krunctl-spec(5)).")
    Path specFile;

    @Parameters(index = "1..*", paramLabel = "ARGS",
            description = "After '--': the workload's program and arguments, replacing process.args.")
    List<String> workloadArgs = new ArrayList<>();

    @Option(names = "--set", paramLabel = "PATH=VALUE", converter = SpecOverrideConverter.class,
            description = {
                "Set a spec field before the spec is checked, e.g. memory=1Gi, cpus=2, process.env.DEBUG=1,"
                        + " files[0].mode=0755; repeatable, applied in order. VALUE is text as given; one"
                        + " starting with [ { \" or ' is YAML flow syntax, e.g. 'process.args=[/bin/sh, -c, ls]'."
            })
    List<SpecOverride> overrides = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME",
            description = "The VM's name while it runs, by which krunctl exec reaches it; unique among running VMs,"
                    + " lower-case letters, digits and '-'. Default: the spec's name and a random suffix.")
    String name;

    @Option(names = {"-d", "--detach"},
            description = "Run the VM in the background, in a session of its own: print its name once the workload"
                    + " runs and exit 0. The workload's stdout and stderr go to files that krunctl logs shows;"
                    + " krunctl ps, exec, stop and kill reach it by name.")
    boolean detach;

    /** Set on the supervisor that run -d starts: it takes over the name its parent claimed. */
    @Option(names = "--adopt", hidden = true)
    boolean adopt;

    @Option(names = "--console", paramLabel = "FILE",
            description = "Write the guest console (kernel and init messages) to FILE.")
    Path consoleLog;

    @Option(names = {"-v", "--verbose"},
            description = "Report progress on stderr, log the kernel at full verbosity, and copy the guest console"
                    + " live to stderr (never to stdout).")
    boolean verbose;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Send the workload SIGTERM once it has run for DURATION (500ms, 5s, 2m; boot time does"
                    + " not count), stop the VM hard after --stop-timeout more, and exit with 124, like"
                    + " timeout(1).")
    Duration timeout;

    @Option(names = "--stop-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s",
            description = "How long the workload has to exit after the first SIGINT or SIGTERM (forwarded to it)"
                    + " before the VM is stopped hard; a second SIGINT or SIGTERM stops it at once."
                    + " Default: ${DEFAULT-VALUE}.")
    Duration stopTimeout;

    @Override
    public Integer call() {
        Logging.configure(parent.debug, verbose);
        PrintWriter err = spec.commandLine().getErr();
        VmConfig config;
        try {
            config = SpecLoader.load(specFile, Overrides.of(spec, overrides, workloadArgs));
        } catch (SpecException e) {
            for (SpecError error : e.errors()) {
                err.println(error);
            }
            err.flush();
            return e.unreadable() ? ExitCodes.SPEC_UNREADABLE : ExitCodes.SPEC_INVALID;
        }
        if (timeout != null && timeout.isZero()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be longer than 0");
        }
        String vmName = name != null ? name : generatedName(config.name());
        if (!SpecLoader.isName(vmName)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--name: \"" + vmName
                    + "\" is not a name: use 1 to 63 lower-case letters, digits and '-', starting with a letter or"
                    + " digit");
        }
        LaunchOptions options = LaunchOptions.defaults()
                .withConsoleLog(Optional.ofNullable(consoleLog))
                .withVerbose(verbose)
                .withTimeout(Optional.ofNullable(timeout))
                .withStopTimeout(stopTimeout);
        VmRegistry registry = VmRegistry.ofCurrentUser();
        if (detach && !adopt) {
            return Detach.start(registry, vmName, name == null, config, specFile, spec, err);
        }
        try (VmRegistry.Claim claim = adopt ? registry.adopt(vmName)
                        : registry.claim(vmName, specFile.toAbsolutePath().toString(), config.process().env(),
                                config.process().workdir());
                Vm vm = Vm.prepare(config, options)) {
            vm.serveExec(claim.entry().execSocket());
            if (!claim.entry().detached()) {
                vm.serveLogs(claim.entry().logsSocket());
            }
            // Signals krunctl receives go to the workload while the VM runs.
            HostSignals.route(vm::hostSignal);
            vm.start();
            vm.workloadStarted().thenRun(() -> record(claim, VmRegistry.Claim::markRunning));
            int code = vm.waitForExit();
            record(claim, c -> c.markExited(code));
            return code;
        } catch (VmmException e) {
            err.println("krunctl: " + e.getMessage());
            if (parent.debug) {
                e.printStackTrace(err);
            }
            err.flush();
            return ExitCodes.of(e.kind());
        } finally {
            HostSignals.route(null);
        }
    }

    /** Something the registry should know; a failure to record it costs ps its accuracy, not the run. */
    private static void record(VmRegistry.Claim claim, Recording step) {
        try {
            step.record(claim);
        } catch (java.io.IOException e) {
            org.apache.logging.log4j.LogManager.getLogger(RunCommand.class).warn("cannot record the VM's state: {}",
                    e.getMessage());
        }
    }

    private interface Recording {
        void record(VmRegistry.Claim claim) throws java.io.IOException;
    }

    /** The spec's name and four random hex digits, within the 63 characters a name may have. */
    static String generatedName(String specName) {
        String suffix = String.format("-%04x", java.util.concurrent.ThreadLocalRandom.current().nextInt(0x10000));
        return specName.substring(0, Math.min(specName.length(), 63 - suffix.length())) + suffix;
    }
}
