package io.krunctl.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.krunctl.nativeio.Fd;
import io.krunctl.nativeio.UnixSocket;
import java.io.FileOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console socket as conmon listens on it: one message, the slave's name as payload, the master
 * as SCM_RIGHTS; what is written to the slave comes out of the master received.
 */
class ConsoleSocketTest {
    @TempDir
    Path dir;

    @Test
    void theMasterArrivesAndCarriesWhatTheSlaveWrites() throws Exception {
        Path socket = dir.resolve("console.sock");
        try (Fd listener = UnixSocket.listen(socket, 1); Arena arena = Arena.ofConfined()) {
            Path slave = ConsoleSocket.sendNewTerminal(socket);

            try (Fd conn = UnixSocket.accept(listener.get(), 0)) {
                MemorySegment buf = arena.allocate(256);
                UnixSocket.Received r = UnixSocket.receive(conn.get(), buf, 4, 0);
                assertThat(new String(buf.asSlice(0, r.bytes()).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                        .isEqualTo(slave.toString());
                assertThat(r.fds()).hasSize(1);
                try (Fd master = Fd.adopt(r.fds()[0]); FileOutputStream out = new FileOutputStream(slave.toFile())) {
                    out.write("ping".getBytes(StandardCharsets.US_ASCII));
                    MemorySegment got = arena.allocate(16);
                    long n = io.krunctl.nativeio.Libc.read(master.get(), got);
                    assertThat(new String(got.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII))
                            .isEqualTo("ping");
                }
            }
        }
    }

    @Test
    void nobodyListeningIsAnErrorNamingTheSocket() {
        Path socket = dir.resolve("absent.sock");

        assertThatThrownBy(() -> ConsoleSocket.sendNewTerminal(socket)).isInstanceOf(OciException.class)
                .hasMessageStartingWith("cannot hand the terminal to the console socket " + socket);
    }
}
