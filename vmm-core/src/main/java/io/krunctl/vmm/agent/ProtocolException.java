package io.krunctl.vmm.agent;

import java.io.IOException;

/**
 * A frame that breaks the agent protocol. Usually it ends only its session; a {@link #breaksStream()
 * stream-breaking} one (an oversized length, after which the stream is out of step) ends the
 * connection.
 */
public final class ProtocolException extends IOException {
    private final int session;
    private final boolean breaksStream;

    /** A frame that ends only {@code session}. */
    public ProtocolException(int session, String message) {
        this(session, message, false);
    }

    private ProtocolException(int session, String message, boolean breaksStream) {
        super(message);
        this.session = session;
        this.breaksStream = breaksStream;
    }

    /** A frame after which the stream cannot be read on. */
    static ProtocolException outOfStep(String message) {
        return new ProtocolException(0, message, true);
    }

    /** The session the frame belongs to. */
    public int session() {
        return session;
    }

    public boolean breaksStream() {
        return breaksStream;
    }
}
