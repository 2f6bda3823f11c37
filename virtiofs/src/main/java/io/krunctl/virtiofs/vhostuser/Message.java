package io.krunctl.virtiofs.vhostuser;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import io.krunctl.nativeio.Fd;
import java.lang.foreign.MemorySegment;

/**
 * One front-end message: header fields, payload bytes and the descriptors that came with it.
 * Descriptors a handler does not {@link #takeFd take} are closed by {@link #close()}.
 */
final class Message implements AutoCloseable {
    final int request;
    final int flags;
    final MemorySegment payload;
    private final int[] fds;

    Message(int request, int flags, MemorySegment payload, int[] fds) {
        this.request = request;
        this.flags = flags;
        this.payload = payload;
        this.fds = fds.clone();
    }

    String name() {
        return Protocol.name(request);
    }

    boolean needReply() {
        return (flags & Protocol.FLAG_NEED_REPLY) != 0;
    }

    int size() {
        return (int) payload.byteSize();
    }

    int fdCount() {
        int n = 0;
        for (int fd : fds) {
            if (fd >= 0) {
                n++;
            }
        }
        return n;
    }

    /** Descriptor {@code i}, now owned by the caller. */
    Fd takeFd(int i) {
        int fd = fds[i];
        if (fd < 0) {
            throw new IllegalStateException("descriptor " + i + " already taken");
        }
        fds[i] = -1;
        return Fd.adopt(fd);
    }

    /** The raw descriptor numbers (still owned by this message). */
    int[] peekFds() {
        return fds.clone();
    }

    void expectSize(int expected) throws VhostUserException {
        if (size() != expected) {
            throw new VhostUserException(name() + ": payload of " + size() + " bytes, expected " + expected);
        }
    }

    long u64() throws VhostUserException {
        expectSize(Protocol.U64_SIZE);
        return payload.get(JAVA_LONG_UNALIGNED, 0);
    }

    int u32(long offset) {
        return payload.get(JAVA_INT_UNALIGNED, offset);
    }

    long u64(long offset) {
        return payload.get(JAVA_LONG_UNALIGNED, offset);
    }

    @Override
    public void close() {
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0) {
                Fd.closeQuietly(fds[i]);
                fds[i] = -1;
            }
        }
    }
}
