package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.vmm.config.VirtualFile;
import io.krunctl.vmm.config.VmConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --set PATH=VALUE} and {@code -- ARGS}: what they change. Their errors are rows of {@link SpecErrorsTest}. */
class SpecOverrideTest {

    private static final String SPEC = """
            apiVersion: krunctl/v1
            name: t
            memory: 512Mi
            root: {nullfs: {}}
            files:
              - {path: /a, content: a}
            process:
              args: [/bin/true]
              env: {KEEP: "1"}
            """;

    @TempDir
    Path dir;

    private VmConfig load(String yaml, String... sets) throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, yaml);
        List<SpecOverride> overrides = new ArrayList<>();
        for (String s : sets) {
            overrides.add(SpecOverride.parse(s));
        }
        return SpecLoader.load(spec, overrides);
    }

    @Test
    void scalarsReplaceTheFilesValues() throws Exception {
        VmConfig c = load(SPEC, "memory=1Gi", "cpus=2", "name=other", "hostname=box");

        assertThat(c.memoryBytes()).isEqualTo(1024 * VmConfig.MIB);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.name()).isEqualTo("other");
        assertThat(c.hostname()).isEqualTo("box");
    }

    @Test
    void environmentVariablesAreAddedOrReplacedInPlace() throws Exception {
        VmConfig c = load(SPEC, "process.env.DEBUG=1", "process.env.KEEP=2");

        assertThat(c.process().env()).containsExactly(Map.entry("KEEP", "2"), Map.entry("DEBUG", "1"));
    }

    @Test
    void missingMappingsOnTheWayAreCreated() throws Exception {
        VmConfig c = load(SPEC.replace("  env: {KEEP: \"1\"}\n", ""), "process.env.DEBUG=1");

        assertThat(c.process().env()).containsExactly(Map.entry("DEBUG", "1"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "process.env.X=a=b             | a=b",
        "process.env.X=                | ''",
        "process.env.X=yes             | yes",
        "process.env.X=0755            | 0755",
        "process.env.X=#not a comment  | #not a comment",
        "process.env.X=a: b            | a: b",
        "'process.env.X=\"quoted\\tvalue\"' | quoted\tvalue",
        "process.env.X='single'        | single",
    })
    void valuesAreTextAsGivenUnlessQuotedOrFlow(String set, String expected) throws Exception {
        assertThat(load(SPEC, set).process().env().get("X")).isEqualTo(expected);
    }

    @Test
    void flowValuesGiveListsAndMappings() throws Exception {
        VmConfig c = load(SPEC, "process.args=[/bin/sh, -c, \"echo hi\"]", "root={nullfs: {}}",
                "files[1]={path: /b, content: bee, mode: 0600}");

        assertThat(c.process().args()).containsExactly("/bin/sh", "-c", "echo hi");
        assertThat(c.files()).extracting(VirtualFile::guestPath).containsExactly("/a", "/b");
        assertThat(c.files().get(1).mode()).isEqualTo(0600);
    }

    @Test
    void indicesReachIntoLists() throws Exception {
        VmConfig c = load(SPEC, "files[0].mode=0755", "files[0].content=new", "process.args[0]=/bin/false",
                "process.args[1]=x");

        assertThat(c.files().getFirst().mode()).isEqualTo(0755);
        assertThat(((VirtualFile.Content.Inline) c.files().getFirst().content()).bytes())
                .isEqualTo("new".getBytes(StandardCharsets.UTF_8));
        assertThat(c.process().args()).containsExactly("/bin/false", "x");
    }

    @Test
    void laterOverridesWinAndDashArgsComeLast() throws Exception {
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(spec, SPEC);
        VmConfig c = SpecLoader.load(spec, List.of(SpecOverride.parse("memory=1Gi"), SpecOverride.parse("memory=2Gi"),
                SpecOverride.parse("process.args=[/bin/a]"), SpecOverride.args(List.of("/bin/b", "", "c d"))));

        assertThat(c.memoryBytes()).isEqualTo(2048 * VmConfig.MIB);
        assertThat(c.process().args()).containsExactly("/bin/b", "", "c d");
    }

    @Test
    void anOverrideCanRepairAnInvalidFile() throws Exception {
        VmConfig c = load(SPEC.replace("memory: 512Mi", "memory: 512MB"), "memory=512Mi");

        assertThat(c.memoryBytes()).isEqualTo(512 * VmConfig.MIB);
    }

    @Test
    void anEmptySpecCanBeWrittenEntirelyOnTheCommandLine() throws Exception {
        VmConfig c = load("", "apiVersion=krunctl/v1", "name=cli", "root={nullfs: {}}", "process.args=[/bin/true]");

        assertThat(c.name()).isEqualTo("cli");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "memory                | expected PATH=VALUE, like memory=1Gi or process.env.DEBUG=1, got 'memory'",
        "=1Gi                  | expected PATH=VALUE, like memory=1Gi, got '=1Gi' with no PATH",
        "process..env=1        | bad PATH 'process..env' in 'process..env=1': expected keys separated by '.', each with optional [N] list indices, like process.env.DEBUG or files[0].mode",
        "files[x].mode=1       | bad PATH 'files[x].mode' in 'files[x].mode=1': expected keys separated by '.', each with optional [N] list indices, like process.env.DEBUG or files[0].mode",
        "'process.args=[a, b'  | bad YAML value in 'process.args=[a, b': expected ',' or ']', but got <stream end> at character 6 of the value",
    })
    void malformedArgumentsAreRejectedWithWhatIsWrong(String argument, String message) {
        assertThatThrownBy(() -> SpecOverride.parse(argument)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void flagNamesTheArgument() throws IOException {
        assertThat(SpecOverride.parse("a.b=c").flag()).isEqualTo("--set a.b=c");
        assertThat(SpecOverride.args(List.of("x")).flag()).isEqualTo("arguments after '--'");
    }
}
