package io.krunctl.vmm.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay over real unix sockets, with the test playing QEMU's chardev side. */
class StdioRelayTest {
    @TempDir
    Path dir;

    private static SocketChannel connect(Path path) throws Exception {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(path));
        return c;
    }

    @Test
    void bytesFlowBothWaysUnchangedAndHostEofReachesTheGuest() throws Exception {
        byte[] input = new byte[300_000];
        new Random(1).nextBytes(input);
        byte[] output = new byte[500_000];
        new Random(2).nextBytes(output);
        ByteArrayOutputStream hostOut = new ByteArrayOutputStream();
        ByteArrayOutputStream hostErr = new ByteArrayOutputStream();

        try (StdioRelay relay = StdioRelay.bind(dir.resolve("in"), dir.resolve("out"), dir.resolve("err"))) {
            relay.start(new ByteArrayInputStream(input), hostOut, hostErr);
            try (SocketChannel in = connect(dir.resolve("in"));
                    SocketChannel out = connect(dir.resolve("out"));
                    SocketChannel err = connect(dir.resolve("err"))) {
                out.write(ByteBuffer.wrap(output));
                err.write(ByteBuffer.wrap("oops\n".getBytes()));
                ByteArrayOutputStream received = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(8192);
                while (in.read(buf) >= 0) {
                    received.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                assertThat(received.toByteArray()).as("stdin delivered, then end of file").isEqualTo(input);
            }
            assertThat(relay.awaitOutputs(Duration.ofSeconds(5))).isTrue();
        }
        assertThat(hostOut.toByteArray()).isEqualTo(output);
        assertThat(hostErr.toString()).isEqualTo("oops\n");
    }

    @Test
    void aClosedHostStdoutDoesNotBlockTheGuest() throws Exception {
        java.io.OutputStream broken = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        try (StdioRelay relay = StdioRelay.bind(dir.resolve("in"), dir.resolve("out"), dir.resolve("err"))) {
            relay.start(new ByteArrayInputStream(new byte[0]), broken, new ByteArrayOutputStream());
            try (SocketChannel out = connect(dir.resolve("out")); SocketChannel err = connect(dir.resolve("err"))) {
                // Far more than socket buffers hold: only a draining relay lets this finish.
                ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
                for (int i = 0; i < 16; i++) {
                    chunk.clear();
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                }
            }
            assertThat(relay.awaitOutputs(Duration.ofSeconds(5))).isTrue();
        }
    }
}
