package io.krunctl.cli;

import io.krunctl.vmm.VmmException;
import io.krunctl.vmm.config.VmConfig;
import io.krunctl.vmm.state.VmRegistry;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * {@code krunctl run -d}: claims the VM's name, starts its supervisor (krunctl run itself, with
 * {@code --adopt}) in a session of its own, so that it outlives the terminal, with stdin on
 * {@code /dev/null} and stdout and stderr on the VM's log files, and returns once the workload runs,
 * or with the supervisor's own exit code and its last words if it ends before.
 */
final class Detach {
    private static final long POLL_MILLIS = 20;

    private Detach() {}

    static int start(VmRegistry registry, String vmName, boolean nameGenerated, VmConfig config, Path specFile,
            CommandLine.Model.CommandSpec spec, PrintWriter err) {
        var launcher = Relaunch.launcher();
        if (launcher.isEmpty()) {
            err.println("krunctl: " + Relaunch.noLauncher("run -d"));
            err.flush();
            return ExitCodes.UNAVAILABLE;
        }
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int run = original.indexOf("run");
        List<String> args = new ArrayList<>(original.subList(0, run));
        args.addAll(List.of("run", "--adopt"));
        if (nameGenerated) {
            args.addAll(List.of("--name", vmName));
        }
        args.addAll(original.subList(run + 1, original.size()));
        List<String> argv = Relaunch.command(launcher.get(), Relaunch.Session.NEW, args);

        VmRegistry.Claim claim;
        try {
            claim = registry.claim(vmName, specFile.toAbsolutePath().toString(), config.process().env(),
                    config.process().workdir(), true);
        } catch (VmmException e) {
            return ExitCodes.reported(err, e);
        }
        try (claim) {
            VmRegistry.Entry entry = claim.entry();
            Process supervisor = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(entry.stdoutLog().toFile())
                    .redirectError(entry.stderrLog().toFile())
                    .start();
            while (true) {
                boolean ended = !supervisor.isAlive();
                VmRegistry.Entry now = claim.reread();
                if (now.pid() == supervisor.pid() && now.status() != VmRegistry.Status.STARTING) {
                    claim.handOver();
                    PrintWriter out = spec.commandLine().getOut();
                    out.println(vmName);
                    out.flush();
                    return ExitCodes.OK;
                }
                if (ended) {
                    err.println("krunctl: the VM did not start: " + lastLine(entry.stderrLog()));
                    err.flush();
                    claim.discard();
                    return supervisor.exitValue();
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException e) {
            err.println("krunctl: cannot start the VM in the background: " + e.getMessage());
            err.flush();
            return ExitCodes.VM_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ExitCodes.VM_FAILED;
        }
    }

    /** The last non-empty line of a log, without its "krunctl: " prefix. */
    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "(no message)" : lines.getLast().replaceFirst("^krunctl: ", "");
        } catch (IOException e) {
            return "(no message)";
        }
    }
}
