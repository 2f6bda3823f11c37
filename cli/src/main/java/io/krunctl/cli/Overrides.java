package io.krunctl.cli;

import io.krunctl.cli.spec.SpecOverride;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The spec overrides of one command line: the {@code --set} values, then the arguments after {@code --}. */
final class Overrides {
    private Overrides() {}

    /**
     * @param spec         the command, to find where {@code --} was and to report misuse
     * @param sets         the {@code --set} values in the order given
     * @param workloadArgs the positional arguments after the spec file
     * @throws CommandLine.ParameterException when workload arguments were given without {@code --}
     *                                        before them
     */
    static List<SpecOverride> of(CommandSpec spec, List<SpecOverride> sets, List<String> workloadArgs) {
        List<SpecOverride> all = new ArrayList<>(sets);
        if (workloadArgs.isEmpty()) {
            return all;
        }
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int dashes = original.indexOf("--");
        if (dashes < 0 || original.size() - dashes - 1 != workloadArgs.size()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "the workload's arguments go after '--', like: " + spec.qualifiedName()
                            + " SPEC -- /bin/sh -c 'echo hi'; got '" + workloadArgs.getFirst() + "' before it");
        }
        all.add(SpecOverride.args(workloadArgs));
        return all;
    }
}
