package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * File-descriptor level C library calls: {@code close}, {@code read}/{@code write},
 * {@code pread}/{@code pwrite}, {@code lseek}, {@code poll}, {@code eventfd}, {@code mmap}/{@code munmap},
 * {@code memfd_create}, {@code ftruncate}, {@code fcntl}, {@code dup}.
 *
 * <p>Every call that fails throws {@link NativeException} with the call's name and {@code errno}.
 * Calls that may be interrupted by a signal ({@code EINTR}) are retried. Buffers must be native
 * segments. The calls {@link FileCalls} also needs ({@code close}, {@code pread}/{@code pwrite},
 * {@code lseek}, {@code ftruncate}) are its {@code -errno} forms, thrown here: each C function is
 * linked once.
 */
public final class Libc {
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_POPULATE = 0x8000;

    public static final int MFD_CLOEXEC = 0x1;
    public static final int MFD_ALLOW_SEALING = 0x2;

    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    /** {@code MAP_FAILED}, i.e. {@code (void *) -1}. */
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle READ = Linkage.withErrno("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = Linkage.withErrno("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle POLL = Linkage.withErrno("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENTFD = Linkage.withErrno("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle MMAP = Linkage.withErrno("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Linkage.withErrno("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle MEMFD_CREATE = Linkage.withErrno("memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    /** {@code int fcntl(int fd, int cmd, ...)} with one {@code int} variadic argument. */
    private static final MethodHandle FCNTL = Linkage.withErrno("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle DUP = Linkage.withErrno("dup",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** Used only under the lock of {@link #strerror}, which also caches the text. */
    private static final MethodHandle STRERROR = Linkage.plain("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static final ConcurrentHashMap<Integer, String> ERROR_TEXT = new ConcurrentHashMap<>();

    private Libc() {
    }

    /** Closes {@code fd}. {@code EINTR} counts as success: Linux releases the descriptor anyway. */
    public static void close(int fd) throws NativeException {
        check("close", FileCalls.close(fd));
    }

    /** Reads up to {@code buf.byteSize()} bytes; returns the count, 0 at end of file. */
    public static long read(int fd, MemorySegment buf) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) READ.invokeExact(err, fd, buf, buf.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("read", errno);
            }
        }
    }

    /** Writes up to {@code buf.byteSize()} bytes; returns the count written. */
    public static long write(int fd, MemorySegment buf) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) WRITE.invokeExact(err, fd, buf, buf.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("write", errno);
            }
        }
    }

    /** Reads up to {@code buf.byteSize()} bytes at {@code offset}; returns the count, 0 at end of file. */
    public static long pread(int fd, MemorySegment buf, long offset) throws NativeException {
        return check("pread", FileCalls.pread(fd, buf, offset));
    }

    /** Writes up to {@code buf.byteSize()} bytes at {@code offset}; returns the count written. */
    public static long pwrite(int fd, MemorySegment buf, long offset) throws NativeException {
        return check("pwrite", FileCalls.pwrite(fd, buf, offset));
    }

    /** {@code lseek(fd, offset, whence)}; returns the resulting offset. */
    public static long lseek(int fd, long offset, int whence) throws NativeException {
        return check("lseek", FileCalls.lseek(fd, offset, whence));
    }

    /**
     * {@code poll} over {@code nfds} entries of {@link Structs#POLLFD} in {@code fds}; returns the
     * number of entries with events, 0 on timeout. A negative timeout waits forever. {@code EINTR}
     * restarts the wait with the full timeout.
     */
    public static int poll(MemorySegment fds, int nfds, int timeoutMillis) throws NativeException {
        if (fds.byteSize() < nfds * Structs.POLLFD.byteSize()) {
            throw new IndexOutOfBoundsException("pollfd array holds fewer than " + nfds + " entries");
        }
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) POLL.invokeExact(err, fds, (long) nfds, timeoutMillis);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                throw new NativeException("poll", errno);
            }
        }
    }

    /** {@code eventfd(initval, flags)}; returns the new descriptor. */
    public static int eventfd(int initialValue, int flags) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) EVENTFD.invokeExact(err, initialValue, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("eventfd", Linkage.errno(err));
        }
        return r;
    }

    /**
     * Raw {@code mmap}; returns the zero-length segment at the mapped address. Prefer
     * {@link #mmap(long, int, int, int, long, Arena)}, which ties the mapping to an arena.
     */
    public static MemorySegment mmapRaw(MemorySegment address, long length, int prot, int flags, int fd,
            long offset) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        MemorySegment r;
        try {
            r = (MemorySegment) MMAP.invokeExact(err, address, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r.address() == MAP_FAILED) {
            throw new NativeException("mmap", Linkage.errno(err));
        }
        return r;
    }

    /**
     * Maps {@code length} bytes of {@code fd} from {@code offset} (page aligned) and returns a
     * segment of exactly that size, valid while {@code arena} is alive; closing the arena unmaps it.
     */
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset, Arena arena)
            throws NativeException {
        MemorySegment raw = mmapRaw(MemorySegment.NULL, length, prot, flags, fd, offset);
        long address = raw.address();
        return raw.reinterpret(length, arena, _ -> munmapQuietly(address, length));
    }

    /** {@code munmap(address, length)}. */
    public static void munmap(MemorySegment address, long length) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) MUNMAP.invokeExact(err, address, length);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("munmap", Linkage.errno(err));
        }
    }

    private static void munmapQuietly(long address, long length) {
        try {
            munmap(MemorySegment.ofAddress(address), length);
        } catch (NativeException e) {
            // Only EINVAL is possible for a mapping this class made; nothing useful to do in a cleanup.
        }
    }

    /** {@code memfd_create(name, flags)}; returns the new descriptor. */
    public static int memfdCreate(String name, int flags) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cName = arena.allocateFrom(name, StandardCharsets.UTF_8);
            MemorySegment err = Linkage.errnoSegment();
            int r;
            try {
                r = (int) MEMFD_CREATE.invokeExact(err, cName, flags);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r < 0) {
                throw new NativeException("memfd_create", Linkage.errno(err));
            }
            return r;
        }
    }

    /** {@code ftruncate(fd, length)}. */
    public static void ftruncate(int fd, long length) throws NativeException {
        check("ftruncate", FileCalls.ftruncate(fd, length));
    }

    /**
     * {@code fcntl(fd, cmd)} for commands without an argument ({@code F_GETFD}, {@code F_GETFL}): the
     * kernel ignores the argument of such commands, so the one handle passes 0.
     */
    public static int fcntl(int fd, int cmd) throws NativeException {
        return fcntl(fd, cmd, 0);
    }

    /** {@code fcntl(fd, cmd, arg)} for commands with an {@code int} argument. */
    public static int fcntl(int fd, int cmd, int arg) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) FCNTL.invokeExact(err, fd, cmd, arg);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("fcntl", Linkage.errno(err));
        }
        return r;
    }

    /** {@code dup(fd)}; the copy does not have close-on-exec set. */
    public static int dup(int fd) throws NativeException {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) DUP.invokeExact(err, fd);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r < 0) {
            throw new NativeException("dup", Linkage.errno(err));
        }
        return r;
    }

    /** {@code result} if it is not negative; otherwise it is {@code -errno}, thrown for {@code call}. */
    private static long check(String call, long result) throws NativeException {
        if (result < 0) {
            throw new NativeException(call, (int) -result);
        }
        return result;
    }

    /** The C library's description of {@code errno}, e.g. "Bad file descriptor". */
    public static String strerror(int errno) {
        String cached = ERROR_TEXT.get(errno);
        if (cached != null) {
            return cached;
        }
        synchronized (STRERROR) {
            MemorySegment text;
            try {
                text = (MemorySegment) STRERROR.invokeExact(errno);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            String s = text.equals(MemorySegment.NULL)
                    ? "Unknown error " + errno
                    : text.reinterpret(1024).getString(0, StandardCharsets.UTF_8);
            ERROR_TEXT.putIfAbsent(errno, s);
            return s;
        }
    }
}
