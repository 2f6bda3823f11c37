package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Another process's descriptors, through {@code pidfd_open(2)} and {@code pidfd_getfd(2)}: the copy
 * refers to the same open file, so that acting on it (shutting a socket down, say) acts on the
 * other process's, as any process with ptrace access to it (the same user, or CAP_SYS_PTRACE) may.
 * Tests use it to break a running krunctl's connections from outside, with no hook in krunctl.
 */
public final class ProcessFds {
    private static final MethodHandle PIDFD_OPEN = Linkage.withErrno("pidfd_open",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle PIDFD_GETFD = Linkage.withErrno("pidfd_getfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    private ProcessFds() {
    }

    /** A close-on-exec copy of the descriptor {@code fd} of process {@code pid}. */
    public static Fd copy(long pid, int fd) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int pidfd;
        try {
            pidfd = (int) PIDFD_OPEN.invokeExact(err, Math.toIntExact(pid), 0);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (pidfd < 0) {
            throw new NativeException("pidfd_open", Linkage.errno(err));
        }
        try (Fd owned = Fd.adopt(pidfd)) {
            int copy;
            try {
                copy = (int) PIDFD_GETFD.invokeExact(err, pidfd, fd, 0);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (copy < 0) {
                throw new NativeException("pidfd_getfd", Linkage.errno(err));
            }
            return Fd.adopt(copy);
        }
    }
}
