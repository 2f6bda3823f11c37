package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code getrlimit}/{@code setrlimit} of this process, for the one limit krunctl changes on the
 * host: {@code RLIMIT_NOFILE}. A passthrough filesystem holds one descriptor per inode the guest
 * knows, so the usual soft limit of 1024 would run out on the first big tree walk.
 */
public final class ResourceLimits {
    /** {@code RLIMIT_NOFILE}: one more than the highest descriptor number the process may open. */
    public static final int RLIMIT_NOFILE = 7;
    /** {@code RLIM_INFINITY}. */
    public static final long INFINITY = -1L;

    /** {@code struct rlimit}: two {@code rlim_t} (unsigned 64-bit). */
    static final StructLayout RLIMIT = MemoryLayout.structLayout(
            JAVA_LONG.withName("rlim_cur"), JAVA_LONG.withName("rlim_max"));

    private static final MethodHandle GETRLIMIT = Linkage.withErrno("getrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETRLIMIT = Linkage.withErrno("setrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

    /** A soft and a hard limit; {@link #INFINITY} for none. */
    public record Limit(long soft, long hard) {}

    private ResourceLimits() {
    }

    public static Limit get(int resource) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(RLIMIT);
            MemorySegment errno = Linkage.errnoSegment();
            int rc;
            try {
                rc = (int) GETRLIMIT.invokeExact(errno, resource, r);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (rc < 0) {
                throw new NativeException("getrlimit(" + resource + ")", Linkage.errno(errno));
            }
            return new Limit(r.get(JAVA_LONG, 0), r.get(JAVA_LONG, 8));
        }
    }

    public static void set(int resource, Limit limit) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(RLIMIT);
            r.set(JAVA_LONG, 0, limit.soft());
            r.set(JAVA_LONG, 8, limit.hard());
            MemorySegment errno = Linkage.errnoSegment();
            int rc;
            try {
                rc = (int) SETRLIMIT.invokeExact(errno, resource, r);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (rc < 0) {
                throw new NativeException("setrlimit(" + resource + ")", Linkage.errno(errno));
            }
        }
    }

    /**
     * Raises the soft {@code RLIMIT_NOFILE} of this process to its hard limit (no privilege needed).
     *
     * @return the soft limit now in force
     */
    public static long raiseOpenFilesToHardLimit() throws NativeException {
        Limit now = get(RLIMIT_NOFILE);
        if (Long.compareUnsigned(now.soft(), now.hard()) < 0) {
            set(RLIMIT_NOFILE, new Limit(now.hard(), now.hard()));
            return now.hard();
        }
        return now.soft();
    }
}
