package io.krunctl.vmm.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test plays QEMU's chardev: it connects late and reads what the channel sent. */
class ControlChannelTest {
    @TempDir
    Path dir;

    private static String read(SocketChannel c, int bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(bytes);
        while (buf.hasRemaining()) {
            if (c.read(buf) < 0) {
                break;
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }

    @Test
    void messagesSentBeforeQemuConnectsArriveFirstAndInOrder() throws Exception {
        Path socket = dir.resolve("control.sock");
        try (ControlChannel control = ControlChannel.listen(socket)) {
            control.send(new ControlMessage.Signal(15));
            control.send(new ControlMessage.WindowSize(24, 80));
            try (SocketChannel qemu = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                qemu.connect(UnixDomainSocketAddress.of(socket));
                assertThat(read(qemu, 24)).isEqualTo("signal 15\nwinsize 24 80\n");

                control.send(new ControlMessage.Signal(2));
                assertThat(read(qemu, 9)).isEqualTo("signal 2\n");
            }
        }
    }
}
