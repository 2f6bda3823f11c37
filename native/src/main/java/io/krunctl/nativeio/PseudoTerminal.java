package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Pseudo-terminals: {@code posix_openpt}, {@code grantpt}, {@code unlockpt}, {@code ptsname_r}.
 * An OCI runtime makes one for a container with {@code process.terminal}: the master goes to the
 * caller over the console socket, the slave becomes the container process's terminal.
 */
public final class PseudoTerminal {
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0x100;
    /** {@code ptsname_r}'s buffer; pts names are {@code /dev/pts/N}. */
    private static final int NAME_CAPACITY = 64;

    private static final MethodHandle POSIX_OPENPT = Linkage.withErrno("posix_openpt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle GRANTPT = Linkage.withErrno("grantpt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle UNLOCKPT = Linkage.withErrno("unlockpt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** {@code ptsname_r} returns the error number itself rather than setting errno. */
    private static final MethodHandle PTSNAME_R = Linkage.plain("ptsname_r",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));

    /**
     * A master whose slave may be opened by path.
     *
     * @param master the master side, close-on-exec
     * @param slave  the slave's path, {@code /dev/pts/N}
     */
    public record Pair(Fd master, Path slave) implements AutoCloseable {
        @Override
        public void close() {
            master.close();
        }
    }

    private PseudoTerminal() {}

    /** Opens a new master, unlocked, so that its slave can be opened. */
    public static Pair open() throws NativeException {
        Fd master = Fd.adopt(call("posix_openpt", POSIX_OPENPT, O_RDWR | O_NOCTTY | Fcntl.O_CLOEXEC));
        try {
            call("grantpt", GRANTPT, master.get());
            call("unlockpt", UNLOCKPT, master.get());
            return new Pair(master, slaveName(master.get()));
        } catch (NativeException | RuntimeException e) {
            master.close();
            throw e;
        }
    }

    private static Path slaveName(int master) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(NAME_CAPACITY);
            int r;
            try {
                r = (int) PTSNAME_R.invokeExact(master, buf, (long) NAME_CAPACITY);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r != 0) {
                throw new NativeException("ptsname_r", r);
            }
            return Path.of(buf.getString(0));
        }
    }

    private static int call(String name, MethodHandle handle, int arg) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) handle.invokeExact(err, arg);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException(name, Linkage.errno(err));
        }
        return r;
    }
}
