package io.krunctl.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class ProcessFdsTest {
    @Test
    void shuttingACopiedSocketDownShutsTheOriginalsConnectionDown() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Fd b = pair[1]; Fd copy = ProcessFds.copy(ProcessHandle.current().pid(), a.get());
                Arena arena = Arena.ofConfined()) {
            assertThat(copy.get()).isNotEqualTo(a.get());

            UnixSocket.shutdown(copy.get(), UnixSocket.SHUT_RDWR);

            assertThat(UnixSocket.recv(b.get(), arena.allocate(8), UnixSocket.MSG_DONTWAIT)).as("peer sees EOF")
                    .isZero();
            assertThat(UnixSocket.recv(a.get(), arena.allocate(8), UnixSocket.MSG_DONTWAIT)).as("original sees EOF")
                    .isZero();
        }
    }

    @Test
    void aDescriptorTheProcessDoesNotHaveIsEbadf() {
        assertThatThrownBy(() -> ProcessFds.copy(ProcessHandle.current().pid(), 99_999))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }
}
