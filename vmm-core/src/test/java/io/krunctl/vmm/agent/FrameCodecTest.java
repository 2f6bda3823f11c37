package io.krunctl.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent protocol's frames on the wire (guest/agent/PROTOCOL.md), both directions. */
class FrameCodecTest {
    private static byte[] encode(Frame... frames) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var channel = Channels.newChannel(out);
        for (Frame f : frames) {
            FrameCodec.write(channel, f);
        }
        return out.toByteArray();
    }

    private static ReadableByteChannel channel(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    @Test
    void everyKindSurvivesTheRoundTrip() throws Exception {
        List<Frame> frames = List.of(Frame.hello(), Frame.started(3, 4242),
                Frame.data(3, Frame.Kind.STDOUT, new byte[] {1, 2, 3}, 0, 3),
                Frame.data(3, Frame.Kind.STDERR, new byte[Frame.MAX_PAYLOAD], 0, Frame.MAX_PAYLOAD),
                Frame.exited(3, true, 9), Frame.failed(4, 127, "not found: nope"),
                Frame.credit(3, Frame.Kind.STDIN_CREDIT, 4096),
                Frame.exec(5, new ExecRequest(List.of("/bin/cat"), List.of("A=b"), "/tmp", 1000, 100, true, 40, 120)),
                Frame.endOfInput(5), Frame.signal(5, 15), Frame.resize(5, 50, 200),
                Frame.credit(5, Frame.Kind.OUTPUT_CREDIT, 65_536));
        ReadableByteChannel in = channel(encode(frames.toArray(Frame[]::new)));

        for (Frame expected : frames) {
            assertThat(FrameCodec.read(in)).isEqualTo(expected);
        }
        assertThat(FrameCodec.read(in)).as("a clean end between frames").isNull();
    }

    @Test
    void theHeaderIsLengthSessionKindBigEndian() throws Exception {
        assertThat(encode(Frame.signal(0x01020304, 15)))
                .containsExactly(0, 0, 0, 4, 1, 2, 3, 4, 0x22, 0, 0, 0, 15);
    }

    @Test
    void payloadsDecodeAsTheirKindsSay() throws Exception {
        assertThat(Frame.exited(1, false, 3).exitCode()).isEqualTo(3);
        assertThat(Frame.exited(1, true, 9).exitCode()).as("128+N").isEqualTo(137);
        assertThat(Frame.failed(1, 126, "permission denied").exitCode()).isEqualTo(126);
        assertThat(Frame.failed(1, 126, "permission denied").reason()).isEqualTo("permission denied");
        assertThat(Frame.resize(1, 24, 80).size()).containsExactly(24, 80);
        assertThat(Frame.hello().version()).isEqualTo(Frame.VERSION);
        ExecRequest r = new ExecRequest(List.of("/bin/sh", "-c", "é"), List.of("A=1"), "/", 0, 0, false, 0, 0);
        assertThat(ExecRequest.fromJson(1, Frame.exec(1, r).payload())).isEqualTo(r);
    }

    @Test
    void aPayloadOfTheWrongSizeBreaksOnlyItsSession() {
        Frame shortSignal = new Frame(7, Frame.Kind.SIGNAL, new byte[] {1});
        assertThatThrownBy(shortSignal::number).isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.session()).isEqualTo(7);
            assertThat(e.breaksStream()).isFalse();
        });
        assertThatThrownBy(() -> new Frame(7, Frame.Kind.EXITED, new byte[] {2, 0, 0, 0, 1}).exitCode())
                .isInstanceOf(ProtocolException.class).hasMessageContaining("unknown way");
        assertThatThrownBy(() -> ExecRequest.fromJson(7, "{\"args\": []}".getBytes()))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("malformed EXEC");
        assertThatThrownBy(() -> ExecRequest.fromJson(7, "not json".getBytes()))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void anUnknownKindIsConsumedAndTheNextFrameStillReads() throws Exception {
        byte[] good = encode(Frame.signal(2, 1));
        byte[] unknown = {0, 0, 0, 2, 0, 0, 0, 9, 0x7f, 'h', 'i'};
        ReadableByteChannel in = channel(concat(unknown, good));

        assertThatThrownBy(() -> FrameCodec.read(in)).isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.session()).isEqualTo(9);
            assertThat(e.breaksStream()).isFalse();
        });
        assertThat(FrameCodec.read(in)).isEqualTo(Frame.signal(2, 1));
    }

    @Test
    void anOversizedLengthBreaksTheStream() {
        byte[] huge = ByteBuffer.allocate(9).putInt(Frame.MAX_PAYLOAD + 1).putInt(1).put((byte) 0x11).array();

        assertThatThrownBy(() -> FrameCodec.read(channel(huge))).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.breaksStream()).isTrue());
    }

    @Test
    void aStreamEndingInsideAFrameIsAnError() throws Exception {
        byte[] whole = encode(Frame.data(1, Frame.Kind.STDOUT, new byte[100], 0, 100));

        assertThatThrownBy(() -> FrameCodec.read(channel(Arrays.copyOf(whole, 50)))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> FrameCodec.read(channel(Arrays.copyOf(whole, 4)))).isInstanceOf(EOFException.class);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
