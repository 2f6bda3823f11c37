package io.krunctl.cli;

import io.krunctl.cli.oci.ConsoleSocket;
import io.krunctl.cli.oci.OciException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starting krunctl again as a long-lived child: the supervisor of {@code run -d} and of an OCI
 * container, and an OCI exec's relay. The child is the {@code krunctl} launcher script, which
 * exports its own path in {@value #LAUNCHER_VARIABLE}, so the child runs on the same JVM options
 * and with the same blocked signals.
 */
final class Relaunch {
    /** Set by the ./krunctl launcher: the command that starts krunctl again. */
    static final String LAUNCHER_VARIABLE = "KRUNCTL_LAUNCHER";
    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /** How the child's session is set up. */
    enum Session {
        /** In a session of its own, without a terminal, so that it outlives the caller's terminal. */
        NEW(List.of()),
        /** In a session of its own whose controlling terminal is its stdin (a terminal). */
        NEW_WITH_TERMINAL(List.of("--ctty")),
        /**
         * As {@link #NEW}, and orphaned at once: setsid forks it and exits, so it is re-parented to
         * the caller's subreaper (conmon), and this JVM has no child left to wait for. (A JVM that
         * exits with a child running waits 300 ms for the thread that waits for it.) Its pid is
         * not known here: the child records it itself.
         */
        ORPHAN(List.of("--fork")),
        /** As {@link #ORPHAN}, with its stdin (a terminal) as controlling terminal. */
        ORPHAN_WITH_TERMINAL(List.of("--fork", "--ctty"));

        private final List<String> setsidOptions;

        Session(List<String> setsidOptions) {
            this.setsidOptions = setsidOptions;
        }
    }

    private Relaunch() {}

    /** The launcher, if krunctl was started through it. */
    static Optional<String> launcher() {
        String launcher = System.getenv(LAUNCHER_VARIABLE);
        return launcher == null || launcher.isEmpty() ? Optional.empty() : Optional.of(launcher);
    }

    /**
     * The command line that starts {@code launcher} with {@code args} in {@code session}. Without
     * {@code --fork}, setsid execs in place (the child is never a process group leader), so the
     * pid stays the child's.
     */
    static List<String> command(String launcher, Session session, List<String> args) {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            argv.add(SETSID.toString());
            argv.addAll(session.setsidOptions);
        }
        argv.add(launcher);
        argv.addAll(args);
        return argv;
    }

    /**
     * A process builder for {@code argv} whose stdin, stdout and stderr are the slave of a new
     * terminal, its master sent to an OCI caller's {@code consoleSocket}; with none, this process's
     * own three (ProcessBuilder closes every other descriptor).
     */
    static ProcessBuilder withStdio(List<String> argv, Optional<Path> consoleSocket) throws OciException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (consoleSocket.isEmpty()) {
            return pb.inheritIO();
        }
        File slave = ConsoleSocket.sendNewTerminal(consoleSocket.get()).toFile();
        return pb.redirectInput(ProcessBuilder.Redirect.from(slave))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(slave))
                .redirectError(ProcessBuilder.Redirect.appendTo(slave));
    }

    /** The error when krunctl runs without its launcher (an IDE, an embedding). */
    static String noLauncher(String what) {
        return what + " needs the krunctl launcher script (" + LAUNCHER_VARIABLE + " is not set)";
    }
}
