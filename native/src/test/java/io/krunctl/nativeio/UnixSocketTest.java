package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketTest {

    @Test
    void scmRightsRoundTripDeliversAWorkingDescriptor() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Fd b = pair[1]; EventFd event = EventFd.create(EventFd.EFD_NONBLOCK);
                Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(12);
            out.set(JAVA_INT, 0, 5);
            out.set(JAVA_INT, 4, 1);
            out.set(JAVA_INT, 8, 0);
            assertThat(UnixSocket.send(a.get(), out, new int[] {event.fd()})).isEqualTo(12);

            MemorySegment in = arena.allocate(12);
            UnixSocket.Received got = UnixSocket.receive(b.get(), in, 8, 0);
            assertThat(got.bytes()).isEqualTo(12);
            assertThat(got.controlTruncated()).isFalse();
            assertThat(got.fds()).hasSize(1);
            assertThat(in.get(JAVA_INT, 0)).isEqualTo(5);
            try (Fd received = Fd.adopt(got.fds()[0])) {
                assertThat(received.get()).isNotEqualTo(event.fd());
                assertThat(Libc.fcntl(received.get(), Fcntl.F_GETFD) & Fcntl.FD_CLOEXEC).isEqualTo(Fcntl.FD_CLOEXEC);
                // Same eventfd object: a write through the received number is read from the original.
                EventFd.write(received.get(), 3);
                assertThat(event.read()).isEqualTo(3);
            }
        }
    }

    @Test
    void severalDescriptorsInOneMessageKeepTheirOrder() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Fd b = pair[1];
                EventFd e1 = EventFd.create(EventFd.EFD_NONBLOCK);
                EventFd e2 = EventFd.create(EventFd.EFD_NONBLOCK);
                EventFd e3 = EventFd.create(EventFd.EFD_NONBLOCK);
                Arena arena = Arena.ofConfined()) {
            UnixSocket.sendAll(a.get(), arena.allocate(1), new int[] {e1.fd(), e2.fd(), e3.fd()});
            UnixSocket.Received got = UnixSocket.receive(b.get(), arena.allocate(1), 8, 0);
            assertThat(got.fds()).hasSize(3);
            for (int i = 0; i < 3; i++) {
                EventFd.write(got.fds()[i], i + 1);
                Fd.closeQuietly(got.fds()[i]);
            }
            assertThat(e1.read()).isEqualTo(1);
            assertThat(e2.read()).isEqualTo(2);
            assertThat(e3.read()).isEqualTo(3);
        }
    }

    @Test
    void tooSmallControlBufferIsReportedAsTruncated() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Fd b = pair[1];
                EventFd e1 = EventFd.create(0);
                EventFd e2 = EventFd.create(0);
                EventFd e3 = EventFd.create(0);
                Arena arena = Arena.ofConfined()) {
            UnixSocket.send(a.get(), arena.allocate(4), new int[] {e1.fd(), e2.fd(), e3.fd()});
            UnixSocket.Received got = UnixSocket.receive(b.get(), arena.allocate(4), 1, 0);
            assertThat(got.controlTruncated()).isTrue();
            assertThat(got.fds().length).isLessThanOrEqualTo(2);
            for (int fd : got.fds()) {
                Fd.closeQuietly(fd);
            }
        }
    }

    @Test
    void listenAcceptConnectOnAFilesystemPath(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("test.sock");
        try (Fd listener = UnixSocket.listen(path, 1); Arena arena = Arena.ofConfined()) {
            assertThat(Files.exists(path)).isTrue();
            CompletableFuture<Fd> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return UnixSocket.accept(listener.get(), 0);
                } catch (NativeException e) {
                    throw new RuntimeException(e);
                }
            });
            try (Fd client = UnixSocket.connect(path); Fd server = accepted.get(5, TimeUnit.SECONDS)) {
                MemorySegment msg = arena.allocateFrom("ping");
                UnixSocket.send(client.get(), msg, 0);
                MemorySegment in = arena.allocate(msg.byteSize());
                assertThat(UnixSocket.recv(server.get(), in, UnixSocket.MSG_WAITALL)).isEqualTo(msg.byteSize());
                assertThat(in.getString(0)).isEqualTo("ping");
                UnixSocket.shutdown(client.get(), UnixSocket.SHUT_RDWR);
                assertThat(UnixSocket.recv(server.get(), in, 0)).isZero();
            }
        }
    }

    @Test
    void bindingAnExistingPathFailsWithEaddrinuse(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("busy.sock");
        try (Fd first = UnixSocket.listen(path, 1)) {
            assertThatThrownBy(() -> UnixSocket.listen(path, 1))
                    .isInstanceOfSatisfying(NativeException.class, e -> {
                        assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE);
                        assertThat(e.call()).startsWith("bind(");
                    });
        }
    }

    @Test
    void connectingToNothingIsRefusedOrMissing(@TempDir Path dir) {
        assertThatThrownBy(() -> UnixSocket.connect(dir.resolve("absent.sock")))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void overlongPathIsRejectedBeforeAnyCall(@TempDir Path dir) {
        Path longPath = dir.resolve("x".repeat(120));
        assertThatThrownBy(() -> UnixSocket.listen(longPath, 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unix socket path");
    }

    @Test
    void sendToAClosedPeerIsEpipeNotASignal() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Arena arena = Arena.ofConfined()) {
            pair[1].close();
            assertThatThrownBy(() -> UnixSocket.send(a.get(), arena.allocate(8), new int[0]))
                    .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPIPE));
        }
    }
}
