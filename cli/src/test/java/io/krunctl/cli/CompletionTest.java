package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code krunctl completion bash|zsh}: the scripts load in the real shells and complete commands,
 * options and option values. The completion function is called the way each shell calls it: bash
 * with {@code COMP_WORDS}/{@code COMP_CWORD}; zsh through bashcompinit, which registers it and
 * calls it with {@code ksharrays} set.
 */
class CompletionTest {

    @TempDir
    Path dir;

    @Test
    void bashCompletesCommandsOptionsAndValues() throws Exception {
        Path script = write("bash");
        assertThat(bash(script, "krunctl", "")).containsExactly("completion", "create", "delete", "exec",
                "features", "help", "init-binary", "kill", "logs", "ps", "run", "schema", "start", "state", "stop",
                "validate");
        assertThat(bash(script, "krunctl", "validate", "--fo")).containsExactly("--format");
        assertThat(bash(script, "krunctl", "validate", "--format", "")).containsExactly("json", "text");
        assertThat(bash(script, "krunctl", "completion", "")).containsExactly("bash", "zsh");
        assertThat(bash(script, "krunctl", "run", "--se")).containsExactly("--set");
        assertThat(bash(script, "krunctl", "init-binary", "--ag")).containsExactly("--agent");
    }

    @Test
    void zshRegistersAndRunsTheCompletionThroughBashcompinit() throws Exception {
        assumeShell("/usr/bin/zsh", "zsh");
        Path script = write("zsh");
        assertThat(Files.readString(script)).startsWith("#compdef krunctl\n");
        String registered = zsh(script, "print -r -- \"$_comps[krunctl]\"").getFirst();
        assertThat(registered).startsWith("_bash_complete -F _complete_krunctl");
        assertThat(zshComplete(script, "krunctl", "")).containsExactly("completion", "create", "delete", "exec",
                "features", "help", "init-binary", "kill", "logs", "ps", "run", "schema", "start", "state", "stop",
                "validate");
        assertThat(zshComplete(script, "krunctl", "validate", "--format", "")).containsExactly("json", "text");
    }

    @Test
    void unknownShellIsAUsageError() {
        CliRunner.Result r = CliRunner.run("completion", "fish");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("krunctl: Invalid value for positional parameter at index 0 (SHELL): expected one"
                + " of [bash, zsh]");
    }

    private Path write(String shell) throws IOException {
        CliRunner.Result r = CliRunner.run("completion", shell);
        assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
        Path script = dir.resolve("krunctl." + shell);
        Files.writeString(script, r.out());
        return script;
    }

    private List<String> bash(Path script, String... words) throws Exception {
        assumeShell("/usr/bin/bash", "bash");
        String program = "source " + script + "\n"
                + "COMP_WORDS=(" + quoted(words) + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}\n"
                + "_complete_krunctl 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        return sorted(shell(List.of("bash", "--norc", "-c", program)));
    }

    private List<String> zshComplete(Path script, String... words) throws Exception {
        return sorted(zsh(script, "setopt ksharrays; COMP_WORDS=(" + quoted(words) + "); COMP_CWORD=" + (words.length - 1)
                + "; COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _complete_krunctl 2>/dev/null;"
                + " print -l -- \"${COMPREPLY[@]}\""));
    }

    private List<String> zsh(Path script, String then) throws Exception {
        String program = "autoload -U compinit && compinit -u -D; source " + script + "; " + then;
        return shell(List.of("zsh", "-f", "-c", program));
    }

    private List<String> shell(List<String> argv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile());
        pb.environment().put("HOME", dir.toString());
        pb.redirectErrorStream(false);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s; stderr: %s", argv.getFirst(), err).isZero();
        return new String(out, StandardCharsets.UTF_8).lines().filter(l -> !l.isEmpty()).toList();
    }

    private static String quoted(String... words) {
        return String.join(" ", Arrays.stream(words).map(w -> "'" + w + "'").toList());
    }

    private static List<String> sorted(List<String> lines) {
        return lines.stream().sorted().toList();
    }

    private static void assumeShell(String path, String name) {
        boolean present = Files.isExecutable(Path.of(path));
        if (!present && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(name + " is missing in CI: scripts/prereqs.sh installs it");
        }
        assumeTrue(present, name + " is not installed");
    }
}
