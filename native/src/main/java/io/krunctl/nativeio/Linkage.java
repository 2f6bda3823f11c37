package io.krunctl.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Shared linking machinery of the binding classes: the native linker, the C library lookup and the
 * per-thread state every errno-reporting call needs.
 *
 * <p>Handles are linked once into {@code static final} fields of the binding classes. A function
 * that reports failure through {@code errno} is linked with {@link Linker.Option#captureCallState}
 * and takes a leading capture segment; each thread owns one such segment (and a small scratch
 * buffer for 8-byte counters and fd pairs), so no call reads {@code errno} through
 * {@code __errno_location} after the fact and no allocation happens on the hot path.
 */
final class Linkage {
    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Bytes of the per-thread scratch buffer. */
    static final long SCRATCH_SIZE = 64;

    private record CallState(MemorySegment errno, MemorySegment scratch) {
        static CallState allocate() {
            Arena arena = Arena.ofAuto();
            return new CallState(arena.allocate(CAPTURE_LAYOUT), arena.allocate(SCRATCH_SIZE, 8));
        }
    }

    private static final ThreadLocal<CallState> STATE = ThreadLocal.withInitial(CallState::allocate);

    private Linkage() {
    }

    /** Links a C library function that does not report errors through {@code errno}. */
    static MethodHandle plain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, options);
    }

    /**
     * Links a C library function whose failures set {@code errno}; the handle's first parameter is
     * the capture segment of {@link #errnoSegment()}.
     */
    static MethodHandle withErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(LIBC.findOrThrow(name), descriptor, all);
    }

    /** The calling thread's errno capture segment. */
    static MemorySegment errnoSegment() {
        return STATE.get().errno();
    }

    /** The calling thread's scratch buffer ({@link #SCRATCH_SIZE} bytes, 8-aligned); leaf calls only. */
    static MemorySegment scratch() {
        return STATE.get().scratch();
    }

    /** The errno a call left in {@code captured}. */
    static int errno(MemorySegment captured) {
        return (int) ERRNO.get(captured, 0L);
    }

    /**
     * Converts what {@code invokeExact} threw: unchecked throwables pass through, anything else
     * cannot happen for a downcall.
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new AssertionError("downcall threw a checked exception", t);
    }
}
