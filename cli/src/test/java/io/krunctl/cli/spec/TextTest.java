package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TextTest {

    private static final List<String> TOP =
            List.of("apiVersion", "name", "cpus", "memory", "hostname", "root", "files", "process", "kernel");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "-", value = {
        "nmae, name",
        "Name, name",
        "cpu, cpus",
        "vcpus, cpus",
        "memroy, memory",
        "mem, memory",
        "memory_size, -",
        "hostnme, hostname",
        "host, hostname",
        "api_version, apiVersion",
        "apiversion, apiVersion",
        "file, files",
        "proccess, process",
        "command, -",
        "x, -",
        "kernal, kernel",
    })
    void suggestsTheClosestKey(String typed, String expected) {
        assertThat(Text.didYouMean(typed, TOP)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"workdr, workdir", "argv, args", "ENV, env", "wd, -"})
    void suggestsProcessKeys(String typed, String expected) {
        assertThat(Text.didYouMean(typed, List.of("args", "env", "workdir"))).isEqualTo(expected.equals("-") ? null : expected);
    }

    @Test
    void distanceCountsAdjacentSwapsOnce() {
        assertThat(Text.distance("nmae", "name")).isEqualTo(1);
        assertThat(Text.distance("", "abc")).isEqualTo(3);
        assertThat(Text.distance("kitten", "sitting")).isEqualTo(3);
    }

    @Test
    void quoteKeepsMessagesOnOneLine() {
        assertThat(Text.quote("a\"b\\c\nd\te\u0001")).isEqualTo("\"a\\\"b\\\\c\\nd\\te\\u0001\"");
        assertThat(Text.quote("x".repeat(70))).isEqualTo("\"" + "x".repeat(60) + "...\"");
        assertThat(Text.quote("é😀")).isEqualTo("\"é😀\"");
    }

    @Test
    void specErrorFormats() {
        assertThat(new SpecError(Path.of("specs/a.yaml"), 3, 7, "boom")).hasToString("specs/a.yaml:3:7: boom");
        assertThat(new SpecError(Path.of("a.yaml"), 0, 0, "cannot read spec: Permission denied"))
                .hasToString("a.yaml: cannot read spec: Permission denied");
    }
}
