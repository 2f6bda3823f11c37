package io.krunctl.cli;

import io.krunctl.cli.oci.ContainerStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The OCI calls a container engine makes for every container, exactly as podman and conmon make
 * them ({@code create --bundle B --pid-file F [--console-socket S] ID}, {@code start ID},
 * {@code state ID}, {@code kill ID SIGNAL}, {@code delete [--force] ID}) and create's own
 * {@code supervise ID}, run without building picocli's command model: picocli's class files are too
 * old for the JVM's AOT cache, and reading the model took 150 to 200 ms of every such call. Any
 * other form of these commands (another option, a misspelling, --help) goes through picocli as
 * usual, which runs the same code.
 */
final class OciFastPath {
    private OciFastPath() {}

    /** {@code create} with the options conmon passes, each once, in any order; empty for anything else. */
    private static OptionalInt create(Main defaults, String[] args, PrintWriter err) {
        CreateCommand create = new CreateCommand();
        create.parent = defaults;
        create.id = args[args.length - 1];
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 1; i < args.length - 1; i += 2) {
            String option = args[i];
            if (i + 1 >= args.length - 1 || !seen.add(option)) {
                return OptionalInt.empty();
            }
            java.nio.file.Path value = java.nio.file.Path.of(args[i + 1]);
            switch (option) {
                case "--bundle", "-b" -> create.bundle = value;
                case "--pid-file" -> create.pidFile = value;
                case "--console-socket" -> create.consoleSocket = value;
                default -> {
                    return OptionalInt.empty();
                }
            }
        }
        return OptionalInt.of(create.create(err));
    }

    /** Runs {@code args} if it is one of the calls above; empty otherwise. */
    static OptionalInt tryRun(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length < 2 || args[args.length - 1].startsWith("-")) {
            return OptionalInt.empty();
        }
        Main defaults = new Main();
        String command = args[0];
        try {
            if (command.equals("create")) {
                return create(defaults, args, err);
            }
            if (command.equals("supervise") && args.length == 2) {
                SuperviseCommand supervise = new SuperviseCommand();
                supervise.parent = defaults;
                supervise.id = args[1];
                return OptionalInt.of(supervise.supervise(err));
            }
            if (args.length > 3) {
                return OptionalInt.empty();
            }
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
