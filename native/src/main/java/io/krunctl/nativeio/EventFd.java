package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * An owned {@code eventfd(2)} counter, plus static helpers for eventfds owned elsewhere (e.g. the
 * kick and call descriptors a VMM passes over a socket). Always created close-on-exec.
 */
public final class EventFd implements AutoCloseable {
    public static final int EFD_SEMAPHORE = 0x1;
    public static final int EFD_NONBLOCK = Fcntl.O_NONBLOCK;
    public static final int EFD_CLOEXEC = Fcntl.O_CLOEXEC;

    private final Fd fd;

    private EventFd(Fd fd) {
        this.fd = fd;
    }

    /** A new eventfd with counter 0; {@code flags} may add {@link #EFD_NONBLOCK}, {@link #EFD_SEMAPHORE}. */
    public static EventFd create(int flags) throws NativeException {
        return new EventFd(Fd.adopt(Libc.eventfd(0, flags | EFD_CLOEXEC)));
    }

    /** The descriptor number. */
    public int fd() {
        return fd.get();
    }

    /** Adds 1 to the counter. */
    public void signal() throws NativeException {
        write(fd.get(), 1);
    }

    /** Adds {@code value} to the counter. */
    public void write(long value) throws NativeException {
        write(fd.get(), value);
    }

    /**
     * Reads and resets the counter; blocks while it is 0 unless the eventfd is non-blocking, in which
     * case 0 is returned.
     */
    public long read() throws NativeException {
        return read(fd.get());
    }

    @Override
    public void close() {
        fd.close();
    }

    /**
     * Adds {@code value} to the counter of the eventfd {@code fd}. A full counter on a non-blocking
     * eventfd ({@code EAGAIN}) already signals the reader, so it counts as success.
     */
    public static void write(int fd, long value) throws NativeException {
        MemorySegment buf = Linkage.scratch().asSlice(0, 8);
        buf.set(JAVA_LONG, 0, value);
        try {
            long n = Libc.write(fd, buf);
            if (n != 8) {
                throw new NativeException("write(eventfd)", Errno.EIO);
            }
        } catch (NativeException e) {
            if (e.errno() != Errno.EAGAIN) {
                throw e;
            }
        }
    }

    /** Reads and resets the counter of {@code fd}; 0 if it is non-blocking and the counter is 0. */
    public static long read(int fd) throws NativeException {
        MemorySegment buf = Linkage.scratch().asSlice(0, 8);
        try {
            long n = Libc.read(fd, buf);
            if (n != 8) {
                throw new NativeException("read(eventfd)", Errno.EIO);
            }
        } catch (NativeException e) {
            if (e.errno() == Errno.EAGAIN) {
                return 0;
            }
            throw e;
        }
        return buf.get(JAVA_LONG, 0);
    }

    @Override
    public String toString() {
        return "EventFd" + fd.toString().substring(2);
    }
}
