package io.krunctl.virtiofs.fs;

import java.util.Objects;

/**
 * A filesystem operation failed with an {@link Errno}; the FUSE server answers the request with it.
 *
 * <p>Guests probe for missing names all the time (ENOENT on lookup, ENODATA on getxattr), so these
 * exceptions are ordinary control flow: they carry no stack trace and cost no more than an allocation.
 */
public final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient Errno errno;

    public FsException(Errno errno) {
        this(errno, errno.name());
    }

    public FsException(Errno errno, String message) {
        super(message, null, false, false);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    public Errno errno() {
        return errno;
    }
}
