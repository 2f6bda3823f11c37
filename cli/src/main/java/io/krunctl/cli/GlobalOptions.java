package io.krunctl.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Container engines put options of their own runtimes before the command ({@code --rootless=false},
 * {@code --criu PATH}, {@code --systemd-cgroup}): an OCI runtime takes the ones it does not know
 * without failing. Only the options before the command are concerned; a command's own options
 * stay strictly checked.
 */
final class GlobalOptions {
    private GlobalOptions() {}

    /**
     * {@code args} without the options before the command that krunctl does not know. An unknown
     * {@code --name value} loses its value too, unless the value is a command's name.
     */
    static String[] withoutForeign(CommandLine cli, String... args) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < args.length && args[i].startsWith("-") && !args[i].equals("--")) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            CommandLine.Model.OptionSpec known = cli.getCommandSpec().findOption(name);
            if (known != null) {
                out.add(arg);
                if (!arg.contains("=") && known.arity().max() > 0 && i + 1 < args.length) {
                    out.add(args[++i]);
                }
            } else if (!arg.contains("=") && i + 1 < args.length && !args[i + 1].startsWith("-")
                    && !cli.getSubcommands().containsKey(args[i + 1])) {
                i++;
            }
            i++;
        }
        for (; i < args.length; i++) {
            out.add(args[i]);
        }
        return out.toArray(String[]::new);
    }
}
