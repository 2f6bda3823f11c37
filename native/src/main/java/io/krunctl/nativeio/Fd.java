package io.krunctl.nativeio;

import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Owner of one file descriptor. {@link #close()} is idempotent and thread-safe: exactly one caller
 * closes the number, later ones do nothing.
 *
 * <p>Closing does not make concurrent users of the number safe (the kernel may hand the number to a
 * new file at once): code that shares an {@code Fd} between threads must stop the other threads
 * before closing it.
 */
public final class Fd implements AutoCloseable {
    private final AtomicInteger fd;

    private Fd(int fd) {
        this.fd = new AtomicInteger(fd);
    }

    /** Takes ownership of {@code fd}. */
    public static Fd adopt(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        return new Fd(fd);
    }

    /** The descriptor number. */
    public int get() {
        int v = fd.get();
        if (v < 0) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return v;
    }

    public boolean isOpen() {
        return fd.get() >= 0;
    }

    /** Gives up ownership without closing; returns the number, which the caller now owns. */
    public int release() {
        int v = fd.getAndSet(-1);
        if (v < 0) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return v;
    }

    /**
     * Closes the descriptor once. {@code EBADF} means someone else closed the number behind this
     * owner's back, a bug that is reported as {@link UncheckedIOException}; other close errors carry
     * no actionable meaning for the descriptors this project owns and are ignored.
     */
    @Override
    public void close() {
        int v = fd.getAndSet(-1);
        if (v < 0) {
            return;
        }
        try {
            Libc.close(v);
        } catch (NativeException e) {
            if (e.errno() == Errno.EBADF) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Closes a raw descriptor number, ignoring errors; for fds received but not wanted. */
    public static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            Libc.close(fd);
        } catch (NativeException e) {
            // Nothing to do: the number is released either way.
        }
    }

    @Override
    public String toString() {
        int v = fd.get();
        return v < 0 ? "Fd[closed]" : "Fd[" + v + "]";
    }
}
