package io.krunctl.virtiofs.fuse;

import io.krunctl.virtiofs.fs.Errno;

/**
 * A request the server refuses before or after the filesystem sees it: malformed guest input, or a
 * reply that does not fit the guest's buffers. Answered with {@link #errno()}; no stack trace, since a
 * misbehaving guest can raise it at will.
 */
final class RequestRejected extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Errno errno;

    RequestRejected(Errno errno, String message) {
        super(message, null, false, false);
        this.errno = errno;
    }

    Errno errno() {
        return errno;
    }
}
