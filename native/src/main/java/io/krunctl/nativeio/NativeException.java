package io.krunctl.nativeio;

import java.io.IOException;

/**
 * A failed system call: the call's name and the {@code errno} it left, with the C library's text for
 * that error.
 *
 * <p>Example message: {@code recvmsg: Bad file descriptor (errno 9)}.
 */
public class NativeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public NativeException(String call, int errno) {
        super(call + ": " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /** Name of the failed call, e.g. {@code "recvmsg"} or {@code "ioctl(TIOCGWINSZ)"}. */
    public String call() {
        return call;
    }

    /** The {@code errno} value the call left; compare with the constants in {@link Errno}. */
    public int errno() {
        return errno;
    }
}
