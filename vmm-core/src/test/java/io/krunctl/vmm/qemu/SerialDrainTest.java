package io.krunctl.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class SerialDrainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsTheIndexesOfQemusAnswer() throws Exception {
        // Shape of x-query-virtio-queue-element in QEMU 7.2.
        SerialDrain.Ring ring = SerialDrain.Ring.of(JSON.readTree("""
                {"index": 3, "name": "virtio-serial", "descs": [{"addr": 1, "len": 32768, "flags": ["next"]}],
                 "avail": {"idx": 1200, "flags": 0, "ring": 3}, "used": {"idx": 1186, "flags": 0}}"""));

        assertThat(ring).isEqualTo(new SerialDrain.Ring(1200, 1186));
        assertThat(ring.left(1200)).isEqualTo(14);
        assertThat(ring.left(1190)).isEqualTo(4);
        assertThat(ring.left(1186)).isZero();
        assertThat(ring.left(1180)).as("used already past the target").isZero();
    }

    @Test
    void indexesWrapAt65536() {
        assertThat(new SerialDrain.Ring(5, 65530).left(5)).isEqualTo(11);
        assertThat(new SerialDrain.Ring(5, 3).left(65534)).isZero();
    }

    @Test
    void anAnswerWithoutIndexesIsAnError() {
        assertThatThrownBy(() -> SerialDrain.Ring.of(JSON.readTree("{\"desc\": \"x\"}"))).isInstanceOf(IOException.class);
    }
}
