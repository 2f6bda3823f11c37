package io.krunctl.vmm.qemu;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts QEMU so that it never outlives krunctl and never receives the terminal's signals. */
public final class QemuProcess {
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private QemuProcess() {}

    /**
     * Starts {@code command} with its output appended to {@code log}. The parent-death signal is
     * tied to the calling thread, not to the process: call this from a thread that lives as long as
     * QEMU should (the one that then waits for it).
     */
    public static Process start(QemuCommand command, Path log) throws IOException {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            // A session of its own: a ^C or ^Z typed at krunctl's terminal signals the terminal's
            // foreground process group, and QEMU must not be in it. It would die of the SIGINT that
            // krunctl passes to the workload. (A child of the JVM never leads its process group, so
            // setsid execs QEMU in place instead of forking.)
            argv.add(SETSID.toString());
        }
        if (Files.isExecutable(SETPRIV)) {
            // SIGKILL when krunctl dies, even of SIGKILL.
            argv.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        }
        argv.addAll(command.argv());
        return new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }
}
