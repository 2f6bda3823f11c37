package io.krunctl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.krunctl.cli.spec.SpecErrorsTest;
import io.krunctl.cli.spec.SpecSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

/** {@code krunctl validate} and {@code krunctl schema}, in process. */
class ValidateCommandTest {

    private static final String VALID = "apiVersion: krunctl/v1\nname: ok\nroot: {nullfs: {}}\nprocess: {args: [/bin/true]}\n";

    @TempDir
    Path dir;

    /** The broken corpus, one file per row, and the lines validate must print for it. */
    private final List<String> files = new ArrayList<>();
    private final List<String> expected = new ArrayList<>();

    @BeforeEach
    void writeTheBrokenCorpus() throws IOException {
        SpecErrorsTest.hostFiles(dir);
        List<Arguments> rows = SpecErrorsTest.brokenSpecs().filter(a -> ((List<?>) a.get()[2]).isEmpty()).toList();
        for (int i = 0; i < rows.size(); i++) {
            Object[] row = rows.get(i).get();
            Path spec = dir.resolve(String.format("%03d.yaml", i));
            Files.writeString(spec, (String) row[1]);
            files.add(spec.toString());
            @SuppressWarnings("unchecked")
            List<String> errors = (List<String>) row[3];
            expected.addAll(SpecErrorsTest.expected(spec, dir, errors));
        }
        assertThat(files).hasSizeGreaterThan(80);
    }

    @Test
    void everyExampleSpecIsValid() throws IOException {
        List<String> args = new ArrayList<>(List.of("validate"));
        try (Stream<Path> list = Files.list(Golden.ROOT.resolve("specs"))) {
            list.filter(p -> p.toString().endsWith(".yaml")).sorted().forEach(p -> args.add(p.toString()));
        }
        assertThat(args).hasSizeGreaterThan(2);

        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));

        assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void brokenCorpusPrintsEveryErrorOfEveryFileInOrder() {
        List<String> args = new ArrayList<>(List.of("validate"));
        args.addAll(files);

        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));

        assertThat(r.exitCode()).isEqualTo(ExitCodes.SPEC_INVALID);
        assertThat(r.out().lines().toList()).containsExactlyElementsOf(expected);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void jsonFormatHasTheSameErrorsAsObjects() throws IOException {
        List<String> args = new ArrayList<>(List.of("validate", "--format", "json"));
        args.addAll(files);
        args.add(dir.resolve("missing.yaml").toString());

        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));

        assertThat(r.exitCode()).isEqualTo(ExitCodes.SPEC_UNREADABLE);
        JsonNode array = new ObjectMapper().readTree(r.out());
        assertThat(array.isArray()).isTrue();
        List<String> asText = new ArrayList<>();
        for (JsonNode e : array) {
            assertThat(e.properties()).extracting(java.util.Map.Entry::getKey)
                    .containsExactly("file", "line", "column", "message");
            asText.add(e.get("line").isNull()
                    ? e.get("file").asText() + ": " + e.get("message").asText()
                    : e.get("file").asText() + ":" + e.get("line").asInt() + ":" + e.get("column").asInt() + ": "
                            + e.get("message").asText());
        }
        List<String> want = new ArrayList<>(expected);
        want.add(dir.resolve("missing.yaml") + ": cannot read spec: No such file or directory");
        assertThat(asText).containsExactlyElementsOf(want);
    }

    @Test
    void jsonFormatOfValidSpecsIsAnEmptyArray() throws IOException {
        Files.writeString(dir.resolve("ok.yaml"), VALID);

        CliRunner.Result r = CliRunner.run("validate", "--format=json", dir.resolve("ok.yaml").toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).isEqualTo("[]\n");
    }

    @Test
    void anUnreadableFileWinsOverInvalidOnesAndTheOthersAreStillChecked() throws IOException {
        Files.writeString(dir.resolve("ok.yaml"), VALID);
        Files.writeString(dir.resolve("bad.yaml"), VALID + "cpus: 0\n");

        CliRunner.Result r = CliRunner.run("validate", dir.resolve("ok.yaml").toString(), "no/such.yaml",
                dir.resolve("bad.yaml").toString());

        assertThat(r.exitCode()).isEqualTo(ExitCodes.SPEC_UNREADABLE);
        assertThat(r.out().lines()).containsExactly(
                "no/such.yaml: cannot read spec: No such file or directory",
                dir.resolve("bad.yaml") + ":5:7: cpus: expected an integer from 1 to 64, got 0");
    }

    @Test
    void setAppliesToEveryFile() throws IOException {
        Files.writeString(dir.resolve("a.yaml"), VALID);
        Files.writeString(dir.resolve("b.yaml"), VALID + "memory: 1GB\n");

        CliRunner.Result fixed = CliRunner.run("validate", "--set", "memory=2Gi", dir.resolve("a.yaml").toString(),
                dir.resolve("b.yaml").toString());
        CliRunner.Result broken = CliRunner.run("validate", "--set", "cpus=99", dir.resolve("a.yaml").toString());

        assertThat(fixed.exitCode()).as(fixed.out()).isEqualTo(ExitCodes.OK);
        assertThat(broken.exitCode()).isEqualTo(ExitCodes.SPEC_INVALID);
        assertThat(broken.out()).isEqualTo(dir.resolve("a.yaml")
                + ": --set cpus=99: cpus: expected an integer from 1 to 64, got 99\n");
    }

    @Test
    void aMalformedSetIsAUsageError() {
        CliRunner.Result r = CliRunner.run("validate", "--set", "memory", "x.yaml");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("krunctl: Invalid value for option '--set' (PATH=VALUE): expected PATH=VALUE,"
                + " like memory=1Gi or process.env.DEBUG=1, got 'memory'\n"
                + "Try 'krunctl validate --help' for more information.\n");
    }

    @Test
    void noFileIsAUsageError() {
        CliRunner.Result r = CliRunner.run("validate");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).startsWith("krunctl: Missing required parameter: 'FILE'");
    }

    @Test
    void schemaPrintsTheGeneratedSchema() {
        CliRunner.Result r = CliRunner.run("schema");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.OK);
        assertThat(r.out()).isEqualTo(SpecSchema.json());
        assertThat(r.err()).isEmpty();
    }

    @Test
    void runChecksTheSpecWithItsOverridesBeforeStartingAnything() throws IOException {
        Files.writeString(dir.resolve("ok.yaml"), VALID);

        CliRunner.Result r = CliRunner.run("run", dir.resolve("ok.yaml").toString(), "--set", "memory=1GB", "--",
                "/bin/sh", "");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.SPEC_INVALID);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(dir.resolve("ok.yaml") + ": --set memory=1GB: memory: expected a size like"
                + " 256Mi, 1Gi or 512M, got \"1GB\"; did you mean \"1Gi\"?\n");
    }

    @Test
    void runWantsTheWorkloadsArgumentsAfterDashes() throws IOException {
        Files.writeString(dir.resolve("ok.yaml"), VALID);

        CliRunner.Result r = CliRunner.run("run", dir.resolve("ok.yaml").toString(), "/bin/echo", "hi");

        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("krunctl: the workload's arguments go after '--', like: krunctl run SPEC --"
                + " /bin/sh -c 'echo hi'; got '/bin/echo' before it\n"
                + "Try 'krunctl run --help' for more information.\n");
    }
}
