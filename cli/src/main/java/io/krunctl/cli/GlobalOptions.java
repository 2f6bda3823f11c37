package io.krunctl.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Collection;
import picocli.CommandLine;

/**
 * The options before the command. Container engines put options of their own runtimes there
 * ({@code --rootless=false}, {@code --criu PATH}): an OCI runtime takes the ones it does not know
 * without failing, so they are dropped; a command's own options stay strictly checked.
 */
final class GlobalOptions {
    /**
     * A command line split at its command.
     *
     * @param args    the arguments without the foreign options
     * @param command the command's name, if one of {@code commands} is given
     */
    record Split(String[] args, Optional<String> command) {}

    private GlobalOptions() {}

    /**
     * Splits {@code args}, whose options before the command are {@code main}'s. An unknown
     * {@code --name value} loses its value too, unless the value is a command's name.
     */
    static Split split(CommandLine main, Collection<String> commands, String... args) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < args.length && args[i].startsWith("-") && !args[i].equals("--")) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            CommandLine.Model.OptionSpec known = main.getCommandSpec().findOption(name);
            if (known != null) {
                out.add(arg);
                if (!arg.contains("=") && known.arity().max() > 0 && i + 1 < args.length) {
                    out.add(args[++i]);
                }
            } else if (!arg.contains("=") && i + 1 < args.length && !args[i + 1].startsWith("-")
                    && !commands.contains(args[i + 1])) {
                i++;
            }
            i++;
        }
        Optional<String> command = i < args.length && commands.contains(args[i]) ? Optional.of(args[i])
                : Optional.empty();
        for (; i < args.length; i++) {
            out.add(args[i]);
        }
        return new Split(out.toArray(String[]::new), command);
    }
}
