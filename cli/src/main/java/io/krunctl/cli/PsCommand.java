package io.krunctl.cli;

import io.krunctl.vmm.state.VmRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code krunctl ps}: the running VMs of this user. */
@Command(
        name = "ps",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "List this user's running VMs: NAME, STATUS, the supervisor's PID, UPTIME and the SPEC each was"
                    + " started from, by name.",
            "With -a, also a VM started with -d that has ended (status exited(N), N its exit code; krunctl logs"
                    + " still shows its output) and one whose supervising krunctl process was killed (SIGKILL, a"
                    + " crash; status gone). Such an entry is removed when its name is used again."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  krunctl ps", "  krunctl ps -a"})
final class PsCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-a", "--all"}, description = "Also list VMs that have exited or whose supervisor is gone.")
    boolean all;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<VmRegistry.Entry> entries = VmRegistry.ofCurrentUser().list();
        String format = "%-24s %-12s %-8s %-10s %s%n";
        out.printf(format, "NAME", "STATUS", "PID", "UPTIME", "SPEC");
        for (VmRegistry.Entry e : entries) {
            boolean alive = e.alive();
            if (alive || all) {
                out.printf(format, e.name(), status(e, alive), e.pid(),
                        alive ? uptime(Duration.between(e.created(), Instant.now())) : "-", e.spec());
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** running, starting, exited(N) for a detached VM that has ended, gone for one whose supervisor died. */
    static String status(VmRegistry.Entry e, boolean alive) {
        if (alive) {
            return e.status() == VmRegistry.Status.STARTING ? "starting" : "running";
        }
        return e.status() == VmRegistry.Status.EXITED ? "exited(" + e.exitCode() + ")" : "gone";
    }

    /** 42s, 3m07s, 2h05m, 3d04h. */
    static String uptime(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86_400, s % 86_400 / 3600);
    }
}
