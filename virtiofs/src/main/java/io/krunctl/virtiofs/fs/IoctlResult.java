package io.krunctl.virtiofs.fs;

import java.util.Objects;

/**
 * The answer to an ioctl: the value the guest's {@code ioctl(2)} returns and the bytes it copies out
 * to the caller's buffer (at most the size the guest asked for).
 */
public record IoctlResult(int result, byte[] output) {
    private static final byte[] EMPTY = new byte[0];

    /** Success with no data: what a {@code _IO} command returns. */
    public static final IoctlResult OK = new IoctlResult(0, EMPTY);

    public IoctlResult {
        Objects.requireNonNull(output, "output");
    }
}
