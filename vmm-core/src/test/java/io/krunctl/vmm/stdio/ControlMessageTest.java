package io.krunctl.vmm.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The wire format the guest init parses (guest/init/src/control.rs). */
class ControlMessageTest {

    private static String wire(ControlMessage m) {
        return new String(m.encode(), StandardCharsets.US_ASCII);
    }

    @Test
    void signalIsOneDecimalNumber() {
        assertThat(wire(new ControlMessage.Signal(15))).isEqualTo("signal 15\n");
        assertThat(wire(new ControlMessage.Signal(64))).isEqualTo("signal 64\n");
    }

    @Test
    void winsizeIsRowsThenColumns() {
        assertThat(wire(new ControlMessage.WindowSize(40, 120))).isEqualTo("winsize 40 120\n");
        assertThat(wire(new ControlMessage.WindowSize(65535, 0))).isEqualTo("winsize 65535 0\n");
    }

    @Test
    void timeIsSecondsThenNanosecondsSinceTheEpoch() {
        assertThat(wire(new ControlMessage.Time(1_700_000_000L, 123_456_789)))
                .isEqualTo("time 1700000000 123456789\n");
        assertThat(wire(new ControlMessage.Time(0, 0))).isEqualTo("time 0 0\n");
        assertThat(wire(ControlMessage.Time.of(Instant.parse("2026-03-01T12:00:00.000000042Z"))))
                .as("nanoseconds unpadded").isEqualTo("time 1772366400 42\n");
    }

    @Test
    void outOfRangeValuesAreRefusedBeforeTheyReachTheGuest() {
        assertThatThrownBy(() -> new ControlMessage.Signal(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.Signal(65)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.WindowSize(-1, 80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.WindowSize(24, 65536)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.Time(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.Time(0, 1_000_000_000))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.Time(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ControlMessage.Time.of(Instant.EPOCH.minusNanos(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyMessageIsOneShortAsciiLine() {
        for (ControlMessage m : new ControlMessage[] {new ControlMessage.Signal(9),
                new ControlMessage.WindowSize(65535, 65535), new ControlMessage.Time(Long.MAX_VALUE, 999_999_999)}) {
            String line = wire(m);
            assertThat(line).endsWith("\n").matches("[ -~]+\n");
            assertThat(line.length() - 1).isLessThanOrEqualTo(ControlMessage.MAX_LINE);
        }
    }
}
