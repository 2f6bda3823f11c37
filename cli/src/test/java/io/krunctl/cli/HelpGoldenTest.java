package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code --help} of every command, byte for byte, against {@code src/test/resources/golden/}:
 * a change to the command line's user interface shows up as a reviewed diff of these files.
 */
class HelpGoldenTest {

    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    /** Every command, as the words after {@code krunctl}; {@code ""} is krunctl itself. */
    static Stream<String> commands() {
        List<String> out = new ArrayList<>();
        out.add("");
        out.addAll(Main.commandLine().getSubcommands().keySet());
        return out.stream();
    }

    @ParameterizedTest(name = "krunctl {0} --help")
    @MethodSource("commands")
    void helpMatchesTheGoldenFile(String command) throws IOException {
        CliRunner.Result r = command.isEmpty() ? CliRunner.run("--help") : CliRunner.run(command, "--help");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(r.err()).isEmpty();
        Golden.check(GOLDEN.resolve(command.isEmpty() ? "krunctl.txt" : "krunctl-" + command + ".txt"), r.out(),
                HelpGoldenTest.class);
    }

    @Test
    void helpCommandPrintsTheSameAsHelpOption() {
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            assertThat(CliRunner.run("help", command).out()).as(command).isEqualTo(CliRunner.run(command, "--help").out());
        }
    }

    /** Each help's "Exit codes" section is the table's rows for that command, in order. */
    @ParameterizedTest(name = "krunctl {0} --help")
    @MethodSource("commands")
    void exitCodeSectionIsTheTable(String command) {
        String help = (command.isEmpty() ? CliRunner.run("--help") : CliRunner.run(command, "--help")).out();
        String section = help.substring(help.indexOf("\nExit codes:\n") + "\nExit codes:\n".length());
        section = section.contains("\n\n") ? section.substring(0, section.indexOf("\n\n")) : section;
        List<String> codes = section.lines().filter(l -> l.startsWith("  ") && !l.startsWith("    "))
                .map(l -> l.strip().split("\\s+", 2)[0]).toList();
        String flat = section.replaceAll("\\s+", " ");

        List<ExitCodes.Row> rows = ExitCodes.forCommand(command);
        assertThat(codes).containsExactlyElementsOf(rows.stream().map(ExitCodes.Row::codes).distinct().toList());
        for (ExitCodes.Row row : rows) {
            assertThat(flat).contains(row.meaning());
        }
    }

    @Test
    void noCommandPrintsUsageToStderrAndFailsAsAUsageError() {
        CliRunner.Result r = CliRunner.run();

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Usage: krunctl ");
    }

    @Test
    void unknownOptionIsAUsageErrorWithAHint() {
        CliRunner.Result r = CliRunner.run("validate", "--frmat", "json", "x.yaml");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("krunctl: Unknown option: '--frmat'\n"
                + "Try 'krunctl validate --help' for more information.\n");
    }
}
