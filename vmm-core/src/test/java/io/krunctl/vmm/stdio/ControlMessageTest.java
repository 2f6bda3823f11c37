package io.krunctl.vmm.stdio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
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
    void outOfRangeValuesAreRefusedBeforeTheyReachTheGuest() {
        assertThatThrownBy(() -> new ControlMessage.Signal(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.Signal(65)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.WindowSize(-1, 80)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ControlMessage.WindowSize(24, 65536)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyMessageIsOneShortAsciiLine() {
        for (ControlMessage m : new ControlMessage[] {new ControlMessage.Signal(9), new ControlMessage.WindowSize(65535, 65535)}) {
            String line = wire(m);
            assertThat(line).endsWith("\n").matches("[ -~]+\n");
            assertThat(line.length() - 1).isLessThanOrEqualTo(ControlMessage.MAX_LINE);
        }
    }
}
