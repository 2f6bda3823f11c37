package io.krunctl.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest(name = "{0} is {1} ms")
    @CsvSource({
        "500ms, 500", "5s, 5000", "2m, 120000", "1h, 3600000", "1.5s, 1500", "0.25m, 15000",
        "7, 7000", "0, 0", "0s, 0", "' 3s ', 3000", "10ms, 10"
    })
    void readsNumbersWithUnits(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest(name = "''{0}'' is refused")
    @ValueSource(strings = {"", "s", "5x", "-5s", "5 s", "1.5ms", "0.0001s", "5sec", "1d", "1e3s", "9999h", ".5s"})
    void refusesAnythingElseWithAMessageForTheUser(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest(name = "{0} ms formats as {1}")
    @CsvSource({"500, 500ms", "5000, 5s", "120000, 2m", "90000, 90s", "3600000, 1h", "1500, 1500ms", "0, 0s"})
    void formatsTheShortestExactForm(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }
}
