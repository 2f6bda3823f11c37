package io.krunctl.cli.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemorySizeTest {

    private static final long MIB = 1L << 20;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "64Mi, 64",
        "64M, 64",
        "2048Ki, -1",
        "65536K, 64",
        "1Gi, 1024",
        "1G, 1024",
        "3G, 3072",
        "1.25Gi, 1280",
        "2Ti, 2097152",
        "67108864, 64",
        "0.0625Gi, 64",
        "0.000061Ti, -1",
        "8191.5Ti, 8589410304",
        "1.000001Ti, -1",
    })
    void parses(String text, long mib) {
        if (mib < 0) {
            assertThatThrownBy(() -> MemorySize.parse(text)).isInstanceOf(IllegalArgumentException.class);
        } else {
            assertThat(MemorySize.parse(text)).isEqualTo(mib * MIB);
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "256MB   | expected a size like 256Mi, 1Gi or 512M, got \"256MB\"; did you mean \"256Mi\"?",
        "256MiB  | expected a size like 256Mi, 1Gi or 512M, got \"256MiB\"; did you mean \"256Mi\"?",
        "256mi   | expected a size like 256Mi, 1Gi or 512M, got \"256mi\"; did you mean \"256Mi\"?",
        "512m    | expected a size like 256Mi, 1Gi or 512M, got \"512m\"; did you mean \"512Mi\"?",
        "1 Gi    | expected a size like 256Mi, 1Gi or 512M, got \"1 Gi\"; did you mean \"1Gi\"?",
        "1.5GB   | expected a size like 256Mi, 1Gi or 512M, got \"1.5GB\"; did you mean \"1.5Gi\"?",
        "-1Gi    | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"-1Gi\"",
        "1e9     | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"1e9\"",
        "lots    | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"lots\"",
        "'' | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"\"",
        "0       | must be at least 64Mi, got \"0\"",
        "63Mi    | must be at least 64Mi, got \"63Mi\"",
        "64      | must be at least 64Mi, got \"64\" (bytes); did you mean \"64Mi\"?",
        "1.5     | must be at least 64Mi, got \"1.5\" (bytes)",
        "100.5Mi | must be a whole number of MiB, got \"100.5Mi\" (105381888 bytes)",
        "1000M1  | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"1000M1\"",
        "9999999999999999999Ti | is too large, got \"9999999999999999999Ti\"",
        "9999999999999999999   | is too large, got \"9999999999999999999\"",
        "0.3Ki   | must be at least 64Mi, got \"0.3Ki\"",
        "64.3Mi  | must be a whole number of MiB, got \"64.3Mi\" (not a whole number of bytes)",
        "1.1234567Gi | expected a size like 256Mi, 1Gi or 512M (a whole number of MiB, at least 64Mi), got \"1.1234567Gi\"",
    })
    void rejects(String text, String message) {
        assertThatThrownBy(() -> MemorySize.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }
}
