package io.krunctl.virtiofs.fs;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import io.krunctl.nativeio.FileStructs;
import io.krunctl.nativeio.Statx;
import io.krunctl.nativeio.Structs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * Native scratch buffers of one worker thread for {@link PassthroughFs} (names, {@code statx},
 * {@code iovec}s, listings, xattr values), so requests allocate no native memory. Each thread has
 * its own ({@link #current()}); a buffer is reused by the thread's next request. Who the host sees
 * creating files is {@link Credentials}' concern.
 */
final class WorkerState {
    /** PATH_MAX, terminator included. */
    static final int PATH_MAX = 4096;
    /** XATTR_SIZE_MAX and XATTR_LIST_MAX. */
    static final int XATTR_MAX = 65536;
    private static final int INITIAL_IOVS = 16;
    private static final byte[] PROC_SELF_FD = "/proc/self/fd/".getBytes(StandardCharsets.US_ASCII);

    private static final ThreadLocal<WorkerState> CURRENT = ThreadLocal.withInitial(WorkerState::new);

    private final Arena arena = Arena.ofAuto();
    final MemorySegment name = arena.allocate(PATH_MAX);
    final MemorySegment name2 = arena.allocate(PATH_MAX);
    /** "N" or "/proc/self/fd/N": a descriptor's entry in {@code /proc/self/fd}. */
    final MemorySegment procPath = arena.allocate(64);
    final MemorySegment empty = arena.allocate(1);
    final MemorySegment statx = Statx.allocate(arena);
    final MemorySegment how = arena.allocate(FileStructs.OPEN_HOW);
    final MemorySegment times = arena.allocate(FileStructs.TIMESPEC, 2);
    final MemorySegment statfs = arena.allocate(FileStructs.STATFS);
    final MemorySegment offsets = arena.allocate(16, 8);
    private MemorySegment iov = arena.allocate(Structs.IOVEC, INITIAL_IOVS);
    private MemorySegment dirents;
    private MemorySegment xattr;
    private MemorySegment bounce;

    static WorkerState current() {
        return CURRENT.get();
    }

    /** {@code name} as a C string in {@link #name} (or {@link #name2}); ENAMETOOLONG if it does not fit. */
    static MemorySegment cString(MemorySegment buffer, Name value) throws FsException {
        int n = value.length();
        if (n >= buffer.byteSize()) {
            throw new FsException(Errno.ENAMETOOLONG);
        }
        value.copyTo(buffer, 0);
        buffer.set(JAVA_BYTE, n, (byte) 0);
        return buffer;
    }

    /** Descriptor {@code fd} ("N") as a C string, a name relative to a {@code /proc/self/fd} descriptor. */
    MemorySegment fdName(int fd) {
        procPath.set(JAVA_BYTE, putDecimal(procPath, 0, fd), (byte) 0);
        return procPath;
    }

    /** "/proc/self/fd/N" as a C string, for the calls that take only a path. */
    MemorySegment procPath(int fd) {
        MemorySegment.copy(PROC_SELF_FD, 0, procPath, JAVA_BYTE, 0, PROC_SELF_FD.length);
        procPath.set(JAVA_BYTE, putDecimal(procPath, PROC_SELF_FD.length, fd), (byte) 0);
        return procPath;
    }

    /** Writes non-negative {@code value} in decimal at {@code at}; returns where the digits end. */
    private static long putDecimal(MemorySegment s, long at, int value) {
        int digits = 1;
        for (int v = value; v >= 10; v /= 10) {
            digits++;
        }
        for (long i = at + digits - 1; i >= at; i--) {
            s.set(JAVA_BYTE, i, (byte) ('0' + value % 10));
            value /= 10;
        }
        return at + digits;
    }

    /** An {@code iovec} array of at least {@code count} entries. */
    MemorySegment iov(int count) {
        if (iov.byteSize() < count * Structs.IOVEC.byteSize()) {
            iov = arena.allocate(Structs.IOVEC, Math.max(count, 2L * iov.byteSize() / Structs.IOVEC.byteSize()));
        }
        return iov;
    }

    /** A listing buffer of {@code size} bytes (8-aligned), reused. */
    MemorySegment dirents(int size) {
        if (dirents == null || dirents.byteSize() < size) {
            dirents = arena.allocate(size, 8);
        }
        return dirents.asSlice(0, size);
    }

    /** A buffer for the largest extended attribute value or name list. */
    MemorySegment xattr() {
        if (xattr == null) {
            xattr = arena.allocate(XATTR_MAX);
        }
        return xattr;
    }

    /** A native buffer of at least {@code size} bytes, for data the caller gave in heap segments. */
    MemorySegment bounce(long size) {
        if (bounce == null || bounce.byteSize() < size) {
            bounce = arena.allocate(Math.max(size, 64 * 1024));
        }
        return bounce.asSlice(0, size);
    }
}
