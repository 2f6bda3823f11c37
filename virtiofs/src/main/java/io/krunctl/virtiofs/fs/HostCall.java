package io.krunctl.virtiofs.fs;

/**
 * The kernel's error convention turned into the FUSE layer's: {@code FileCalls} answer a
 * non-negative result or {@code -errno}, and a filesystem operation throws {@link FsException}.
 */
final class HostCall {
    private HostCall() {
    }

    /** {@code result}, unless it is {@code -errno}: then that errno is thrown. */
    static long check(long result) throws FsException {
        if (result < 0) {
            throw error(result);
        }
        return result;
    }

    /** The exception for a {@code -errno} result. */
    static FsException error(long negativeErrno) {
        return new FsException(Errno.of((int) -negativeErrno));
    }
}
