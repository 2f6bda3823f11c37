package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every spec in {@code specs/} is a working example: each one boots a real VM through the real
 * launcher and does what its comment says. A new example without an expectation here fails.
 * Also {@code --set} and {@code -- ARGS} end to end, and {@code validate} through the launcher.
 */
class ExamplesIT {

    /** What running an example prints and returns. */
    private record Expect(String stdin, String stdout, int exitCode) {}

    private static final Map<String, Expect> EXPECTED = Map.of(
            "hello.yaml", new Expect("", "hello from a microVM\n", 0),
            "env.yaml", new Expect("", "hello from /srv/app, 1 cpus\n", 0),
            "filter.yaml", new Expect("hello, pipeline\n", "HELLO, PIPELINE\n", 0),
            "exit-code.yaml", new Expect("", "s3cret\ntoken consumed\n", 3),
            "limits.yaml", new Expect("", "builder in /src, CC=gcc, ulimit -n 4096, ulimit -u 512\n", 0),
            "shell.yaml", new Expect("echo hi; exit 5\n", "hi\n", 5));

    @BeforeAll
    static void needsQemu() {
        Krunctl.assumeQemu();
    }

    static Stream<String> examples() throws IOException {
        try (Stream<Path> list = Files.list(Krunctl.ROOT.resolve("specs"))) {
            return list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void exampleRunsAsDocumented(String name) throws Exception {
        Expect expect = EXPECTED.get(name);
        assertThat(expect).as("specs/%s needs an expectation in ExamplesIT", name).isNotNull();

        Krunctl.Result r = Krunctl.run(expect.stdin().getBytes(StandardCharsets.UTF_8), "run", "specs/" + name);

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(expect.exitCode());
        assertThat(r.stdoutText()).isEqualTo(expect.stdout());
    }

    @Test
    void setChangesTheSpecBeforeTheVmBoots() throws Exception {
        Krunctl.Result r = Krunctl.run(new byte[0], "run", "specs/env.yaml", "--set", "process.env.GREETING=bonjour",
                "--set", "cpus=2", "--set", "memory=512Mi");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isZero();
        assertThat(r.stdoutText()).isEqualTo("bonjour from /srv/app, 2 cpus\n");
    }

    @Test
    void argumentsAfterDashesReplaceTheWorkload() throws Exception {
        Krunctl.Result r = Krunctl.run(new byte[0], "run", "specs/env.yaml", "--", "/bin/busybox", "sh", "-c",
                "echo \"override $GREETING\"; exit 4");

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(4);
        assertThat(r.stdoutText()).isEqualTo("override hello\n");
    }

    @Test
    void validateThroughTheLauncher() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("validate"));
        examples().forEach(n -> args.add("specs/" + n));
        Krunctl.Result ok = Krunctl.run(new byte[0], args.toArray(String[]::new));
        Krunctl.Result bad = Krunctl.run(new byte[0], "validate", "specs/hello.yaml", "--set", "memory=256MB");

        assertThat(ok.exitCode()).as("stdout: %s stderr: %s", ok.stdoutText(), ok.stderr()).isZero();
        assertThat(ok.stdout()).isEmpty();
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.SPEC_INVALID);
        assertThat(bad.stdoutText()).isEqualTo("specs/hello.yaml: --set memory=256MB: memory: expected a size like"
                + " 256Mi, 1Gi or 512M, got \"256MB\"; did you mean \"256Mi\"?\n");
    }
}
