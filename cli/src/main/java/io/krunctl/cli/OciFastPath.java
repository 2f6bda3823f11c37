package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The OCI calls a container engine makes for every container, exactly as podman and conmon make
 * them ({@code start ID}, {@code state ID}, {@code kill ID SIGNAL}, {@code delete [--force] ID}),
 * run without building picocli's command model: picocli's class files are too old for the JVM's
 * AOT cache, and reading the model took 200 ms of every such call's 300. Any other form of these
 * commands (another option, a misspelling, --help) goes through picocli as usual, which runs the
 * same code.
 */
final class OciFastPath {
    private OciFastPath() {}

    /** Runs {@code args} if it is one of the calls above; empty otherwise. */
    static OptionalInt tryRun(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length < 2 || args.length > 3 || args[args.length - 1].startsWith("-")) {
            return OptionalInt.empty();
        }
        Main defaults = new Main();
        String command = args[0];
        try {
            if (args.length == 2 && !args[1].startsWith("-")) {
                switch (command) {
                    case "start" -> {
                        return OptionalInt.of(StartCommand.start(defaults, args[1], err));
                    }
                    case "state" -> {
                        return OptionalInt.of(StateCommand.state(defaults, args[1], out, err));
                    }
                    case "delete" -> {
                        return OptionalInt.of(DeleteCommand.delete(defaults, args[1], false, err));
                    }
                    default -> {
                        return OptionalInt.empty();
                    }
                }
            }
            if (command.equals("delete") && (args[1].equals("--force") || args[1].equals("-f"))) {
                return OptionalInt.of(DeleteCommand.delete(defaults, args[2], true, err));
            }
            if (command.equals("kill") && !args[1].startsWith("-")) {
                Optional<ContainerStore.Container> c = ContainerStore.ofCurrentUser().find(args[1]);
                if (c.isPresent()) {
                    return OptionalInt.of(KillCommand.killContainer(defaults, c.get(), args[2], err));
                }
            }
            return OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.of(defaults.ociFailure(err, e.getMessage()));
        } finally {
            out.flush();
            err.flush();
        }
    }
}
