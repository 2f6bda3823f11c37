package io.krunctl.virtiofs.vhostuser;

import java.io.IOException;

/** The front-end broke the vhost-user protocol (bad message, bad size, bad state); passed to {@code onFatal}. */
public final class VhostUserException extends IOException {
    private static final long serialVersionUID = 1L;

    VhostUserException(String message) {
        super(message);
    }

    VhostUserException(String message, Throwable cause) {
        super(message, cause);
    }
}
