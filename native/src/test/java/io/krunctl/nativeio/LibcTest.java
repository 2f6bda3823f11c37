package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LibcTest {

    @Test
    void closingABadDescriptorReportsEbadfWithCallNameAndText() {
        assertThatThrownBy(() -> Libc.close(-1))
                .isInstanceOfSatisfying(NativeException.class, e -> {
                    assertThat(e.errno()).isEqualTo(Errno.EBADF);
                    assertThat(e.call()).isEqualTo("close");
                    assertThat(e.getMessage()).isEqualTo("close: Bad file descriptor (errno 9)");
                });
    }

    @Test
    void errnoIsCapturedPerCallNotLeakedFromEarlierCalls() throws Exception {
        assertThatThrownBy(() -> Libc.fcntl(-1, Fcntl.F_GETFD))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        try (EventFd e = EventFd.create(0)) {
            int flags = Libc.fcntl(e.fd(), Fcntl.F_GETFD);
            assertThat(flags & Fcntl.FD_CLOEXEC).isEqualTo(Fcntl.FD_CLOEXEC);
        }
        assertThatThrownBy(() -> Libc.lseek(-1, 0, Fcntl.SEEK_SET))
                .isInstanceOfSatisfying(NativeException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void callsSharedWithFileCallsThrowUnderTheirOwnName() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(8);
            assertThatThrownBy(() -> Libc.pread(-1, buffer, 0)).isInstanceOfSatisfying(NativeException.class,
                    e -> assertThat(e.call() + " " + e.errno()).isEqualTo("pread " + Errno.EBADF));
            assertThatThrownBy(() -> Libc.pwrite(-1, buffer, 0)).isInstanceOfSatisfying(NativeException.class,
                    e -> assertThat(e.call() + " " + e.errno()).isEqualTo("pwrite " + Errno.EBADF));
            assertThatThrownBy(() -> Libc.ftruncate(-1, 0)).isInstanceOfSatisfying(NativeException.class,
                    e -> assertThat(e.call() + " " + e.errno()).isEqualTo("ftruncate " + Errno.EBADF));
        }
    }

    @Test
    void strerrorTextComesFromTheCLibrary() {
        assertThat(Libc.strerror(Errno.ENOENT)).isEqualTo("No such file or directory");
        assertThat(Libc.strerror(Errno.EAGAIN)).isEqualTo("Resource temporarily unavailable");
    }

    @Test
    void variadicFcntlSetsAndClearsFlags() throws Exception {
        try (EventFd e = EventFd.create(0)) {
            int fl = Libc.fcntl(e.fd(), Fcntl.F_GETFL);
            assertThat(fl & Fcntl.O_NONBLOCK).isZero();
            Libc.fcntl(e.fd(), Fcntl.F_SETFL, fl | Fcntl.O_NONBLOCK);
            assertThat(Libc.fcntl(e.fd(), Fcntl.F_GETFL) & Fcntl.O_NONBLOCK).isEqualTo(Fcntl.O_NONBLOCK);
            // Now non-blocking: an empty counter reads as 0 instead of blocking.
            assertThat(e.read()).isZero();
        }
    }

    @Test
    void eventfdCountsAndResets() throws Exception {
        try (EventFd e = EventFd.create(EventFd.EFD_NONBLOCK)) {
            assertThat(e.read()).isZero();
            e.signal();
            e.write(41);
            assertThat(e.read()).isEqualTo(42);
            assertThat(e.read()).isZero();
        }
    }

    @Test
    void blockingEventfdWakesAReaderOnAnotherThread() throws Exception {
        try (EventFd e = EventFd.create(0)) {
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return e.read();
                } catch (NativeException ex) {
                    throw new RuntimeException(ex);
                }
            });
            Thread.sleep(50);
            assertThat(reader).isNotDone();
            e.write(7);
            assertThat(reader.get(5, TimeUnit.SECONDS)).isEqualTo(7);
        }
    }

    @Test
    void pollReportsReadinessAndTimesOut() throws Exception {
        try (EventFd a = EventFd.create(EventFd.EFD_NONBLOCK);
                EventFd b = EventFd.create(EventFd.EFD_NONBLOCK);
                Arena arena = Arena.ofConfined()) {
            PollFds fds = new PollFds(arena, 2);
            fds.set(0, a.fd(), Libc.POLLIN);
            fds.set(1, b.fd(), Libc.POLLIN);
            long t0 = System.nanoTime();
            assertThat(fds.poll(30)).isZero();
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(25));
            b.signal();
            assertThat(fds.poll(1000)).isEqualTo(1);
            assertThat(fds.has(0, Libc.POLLIN)).isFalse();
            assertThat(fds.has(1, Libc.POLLIN)).isTrue();
        }
    }

    @Test
    void memfdMappedSharedSeesPwriteAndPreadSeesStores() throws Exception {
        try (Fd memfd = Fd.adopt(Libc.memfdCreate("libc-test", Libc.MFD_CLOEXEC));
                Arena arena = Arena.ofShared();
                Arena scratch = Arena.ofConfined()) {
            Libc.ftruncate(memfd.get(), 2 * 4096);
            assertThat(Libc.lseek(memfd.get(), 0, Fcntl.SEEK_END)).isEqualTo(2 * 4096);
            MemorySegment map = Libc.mmap(2 * 4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED,
                    memfd.get(), 0, arena);
            assertThat(map.byteSize()).isEqualTo(2 * 4096);

            MemorySegment buf = scratch.allocate(8);
            buf.set(JAVA_LONG, 0, 0x1122334455667788L);
            assertThat(Libc.pwrite(memfd.get(), buf, 4096)).isEqualTo(8);
            assertThat(map.get(JAVA_LONG, 4096)).isEqualTo(0x1122334455667788L);

            map.set(ValueLayout.JAVA_LONG, 16, -5L);
            assertThat(Libc.pread(memfd.get(), buf, 16)).isEqualTo(8);
            assertThat(buf.get(JAVA_LONG, 0)).isEqualTo(-5L);

            // Mapping with a page offset shows the second page at index 0.
            MemorySegment second = Libc.mmap(4096, Libc.PROT_READ, Libc.MAP_SHARED, memfd.get(), 4096, arena);
            assertThat(second.get(JAVA_LONG, 0)).isEqualTo(0x1122334455667788L);
        }
    }

    @Test
    void closingTheArenaUnmaps() throws Exception {
        MemorySegment map;
        try (Arena arena = Arena.ofConfined()) {
            map = Libc.mmap(4096, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1,
                    0, arena);
            map.set(JAVA_LONG, 0, 1);
        }
        assertThatThrownBy(() -> map.get(JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fdCloseIsIdempotentAndReleaseHandsOverOwnership() throws Exception {
        Fd fd = Fd.adopt(Libc.eventfd(0, Fcntl.O_CLOEXEC));
        assertThat(fd.isOpen()).isTrue();
        fd.close();
        fd.close();
        assertThat(fd.isOpen()).isFalse();
        assertThatThrownBy(fd::get).isInstanceOf(IllegalStateException.class);

        Fd other = Fd.adopt(Libc.eventfd(0, Fcntl.O_CLOEXEC));
        int raw = other.release();
        assertThat(other.isOpen()).isFalse();
        Libc.close(raw);
    }

    @Test
    void readAndWriteOnAPipeLikeSocketPair() throws Exception {
        Fd[] pair = UnixSocket.pair();
        try (Fd a = pair[0]; Fd b = pair[1]; Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocateFrom("hello");
            assertThat(Libc.write(a.get(), out)).isEqualTo(out.byteSize());
            MemorySegment in = arena.allocate(out.byteSize());
            assertThat(Libc.read(b.get(), in)).isEqualTo(out.byteSize());
            assertThat(in.getString(0)).isEqualTo("hello");
            a.close();
            assertThat(Libc.read(b.get(), in)).isZero();
        }
    }
}
