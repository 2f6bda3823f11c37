package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The file-system system calls a passthrough filesystem is made of: the {@code *at} family relative to
 * directory descriptors ({@code openat}/{@code openat2}, {@code statx}, {@code mkdirat}, {@code mknodat},
 * {@code symlinkat}, {@code readlinkat}, {@code unlinkat}, {@code renameat2}, {@code linkat},
 * {@code fchmodat}, {@code fchownat}, {@code utimensat}), file data ({@code pread}/{@code pwrite} and
 * their vectored forms straight on caller segments, {@code fallocate}, {@code ftruncate},
 * {@code fsync}, {@code lseek} with {@code SEEK_DATA}/{@code SEEK_HOLE}, {@code copy_file_range}),
 * {@code getdents64}, {@code fstatfs} and extended attributes by path. Who the calling thread is for
 * the file system is {@link ThreadCredentials}' facility.
 *
 * <h2>Error convention</h2>
 * Unlike {@link Libc}, these calls do not throw: each returns its non-negative result or
 * {@code -errno}, the kernel's own convention. A guest probing for missing names makes ENOENT the
 * most common answer of {@code openat} and {@code statx}; a {@link NativeException} per probe (stack
 * trace, message text) would cost more than the call. EINTR is retried where a call may be
 * interrupted by a signal. Path and name arguments are NUL-terminated strings in native segments;
 * data buffers must be native segments (heap segments are refused by the linker).
 */
public final class FileCalls {
    public static final int AT_FDCWD = -100;
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int AT_REMOVEDIR = 0x200;
    public static final int AT_SYMLINK_FOLLOW = 0x400;
    public static final int AT_EMPTY_PATH = 0x1000;
    public static final int AT_STATX_SYNC_AS_STAT = 0;

    /** {@code open_how.resolve} bits ({@code <linux/openat2.h>}). */
    public static final long RESOLVE_NO_XDEV = 0x01;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final long RESOLVE_IN_ROOT = 0x10;

    public static final int STATX_TYPE = 0x1;
    public static final int STATX_MODE = 0x2;
    public static final int STATX_INO = 0x100;
    public static final int STATX_BASIC_STATS = 0x7ff;
    public static final int STATX_MNT_ID = 0x1000;

    /** {@code utimensat} nanosecond values: "the current time" and "leave unchanged". */
    public static final long UTIME_NOW = (1L << 30) - 1;
    public static final long UTIME_OMIT = (1L << 30) - 2;

    public static final int RENAME_NOREPLACE = 1;
    public static final int RENAME_EXCHANGE = 2;
    public static final int RENAME_WHITEOUT = 4;

    public static final int XATTR_CREATE = 1;
    public static final int XATTR_REPLACE = 2;

    static final long SYS_OPENAT2 = 437;

    private static final MethodHandle H_OPENAT = Linkage.withErrno("openat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(3));
    private static final MethodHandle H_STATX = Linkage.withErrno("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle H_MKDIRAT = Linkage.withErrno("mkdirat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle H_MKNODAT = Linkage.withErrno("mknodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle H_SYMLINKAT = Linkage.withErrno("symlinkat",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    private static final MethodHandle H_UNLINKAT = Linkage.withErrno("unlinkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle H_RENAMEAT2 = Linkage.withErrno("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle H_LINKAT = Linkage.withErrno("linkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle H_FCHMODAT = Linkage.withErrno("fchmodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle H_FCHMOD = Linkage.withErrno("fchmod",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle H_FCHOWNAT = Linkage.withErrno("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle H_FCHOWN = Linkage.withErrno("fchown",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle H_UTIMENSAT = Linkage.withErrno("utimensat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle H_FUTIMENS = Linkage.withErrno("futimens",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle H_FTRUNCATE = Linkage.withErrno("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle H_TRUNCATE = Linkage.withErrno("truncate",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle H_FALLOCATE = Linkage.withErrno("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle H_FSYNC = Linkage.withErrno("fsync",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle H_FDATASYNC = Linkage.withErrno("fdatasync",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle H_LSEEK = Linkage.withErrno("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle H_COPY_FILE_RANGE = Linkage.withErrno("copy_file_range",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle H_PREAD = Linkage.withErrno("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle H_PWRITE = Linkage.withErrno("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle H_PREADV = Linkage.withErrno("preadv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle H_PWRITEV = Linkage.withErrno("pwritev",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    private static final MethodHandle H_GETDENTS64 = Linkage.withErrno("getdents64",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle H_FSTATFS = Linkage.withErrno("fstatfs",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle H_GETXATTR = Linkage.withErrno("getxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle H_SETXATTR = Linkage.withErrno("setxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle H_LISTXATTR = Linkage.withErrno("listxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle H_REMOVEXATTR = Linkage.withErrno("removexattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle H_CLOSE = Linkage.withErrno("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** {@code ssize_t readlinkat(int, const char *, char *, size_t)}. */
    private static final MethodHandle H_READLINKAT = Linkage.withErrno("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    /** {@code long syscall(long, ...)} for {@code openat2(dirfd, path, how, size)}. */
    private static final MethodHandle H_SYSCALL_OPENAT2 = Linkage.withErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private FileCalls() {
    }

    /** {@code openat(dirfd, path, flags, mode)}; the new descriptor. Always pass {@link Fcntl#O_CLOEXEC}. */
    public static int openat(int dirfd, MemorySegment path, int flags, int mode) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_OPENAT.invokeExact(err, dirfd, path, flags, mode);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code statx(dirfd, path, flags, mask, statx)} into a {@link FileStructs#STATX} buffer; 0. */
    public static int statx(int dirfd, MemorySegment path, int flags, int mask, MemorySegment statx) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_STATX.invokeExact(err, dirfd, path, flags, mask, statx);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code mkdirat(dirfd, path, mode)}; 0. */
    public static int mkdirat(int dirfd, MemorySegment path, int mode) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_MKDIRAT.invokeExact(err, dirfd, path, mode);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code mknodat(dirfd, path, mode, dev)}; 0. {@code dev} is a glibc {@code dev_t} ({@code makedev} encoding). */
    public static int mknodat(int dirfd, MemorySegment path, int mode, long dev) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_MKNODAT.invokeExact(err, dirfd, path, mode, dev);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code symlinkat(target, newDirfd, linkPath)}; 0. */
    public static int symlinkat(MemorySegment target, int newDirfd, MemorySegment linkPath) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_SYMLINKAT.invokeExact(err, target, newDirfd, linkPath);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code unlinkat(dirfd, path, flags)}; 0. {@link #AT_REMOVEDIR} removes a directory. */
    public static int unlinkat(int dirfd, MemorySegment path, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_UNLINKAT.invokeExact(err, dirfd, path, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code renameat2(oldDirfd, oldPath, newDirfd, newPath, flags)}; 0. */
    public static int renameat2(int oldDirfd, MemorySegment oldPath, int newDirfd, MemorySegment newPath, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_RENAMEAT2.invokeExact(err, oldDirfd, oldPath, newDirfd, newPath, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code linkat(oldDirfd, oldPath, newDirfd, newPath, flags)}; 0. */
    public static int linkat(int oldDirfd, MemorySegment oldPath, int newDirfd, MemorySegment newPath, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_LINKAT.invokeExact(err, oldDirfd, oldPath, newDirfd, newPath, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code fchmodat(dirfd, path, mode, flags)} (the C library's; only flags 0 is safe); 0. */
    public static int fchmodat(int dirfd, MemorySegment path, int mode, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_FCHMODAT.invokeExact(err, dirfd, path, mode, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code fchmod(fd, mode)}; 0. */
    public static int fchmod(int fd, int mode) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_FCHMOD.invokeExact(err, fd, mode);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code fchownat(dirfd, path, uid, gid, flags)}; 0. -1 leaves an id unchanged. */
    public static int fchownat(int dirfd, MemorySegment path, int uid, int gid, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_FCHOWNAT.invokeExact(err, dirfd, path, uid, gid, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code fchown(fd, uid, gid)}; 0. */
    public static int fchown(int fd, int uid, int gid) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_FCHOWN.invokeExact(err, fd, uid, gid);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code utimensat(dirfd, path, times, flags)} with two {@link FileStructs#TIMESPEC} (atime, mtime); 0. */
    public static int utimensat(int dirfd, MemorySegment path, MemorySegment times, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_UTIMENSAT.invokeExact(err, dirfd, path, times, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code futimens(fd, times)}; 0. */
    public static int futimens(int fd, MemorySegment times) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_FUTIMENS.invokeExact(err, fd, times);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code ftruncate(fd, length)}; 0. */
    public static int ftruncate(int fd, long length) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_FTRUNCATE.invokeExact(err, fd, length);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code truncate(path, length)}; 0. */
    public static int truncate(MemorySegment path, long length) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_TRUNCATE.invokeExact(err, path, length);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code fallocate(fd, mode, offset, length)}; 0. */
    public static int fallocate(int fd, int mode, long offset, long length) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_FALLOCATE.invokeExact(err, fd, mode, offset, length);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code fsync(fd)}; 0. */
    public static int fsync(int fd) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_FSYNC.invokeExact(err, fd);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code fdatasync(fd)}; 0. */
    public static int fdatasync(int fd) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_FDATASYNC.invokeExact(err, fd);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code lseek(fd, offset, whence)}; the new offset. {@link Fcntl#SEEK_DATA}/{@link Fcntl#SEEK_HOLE} answer ENXIO past the data. */
    public static long lseek(int fd, long offset, int whence) {
        MemorySegment err = Linkage.errnoSegment();
        long r;
        try {
            r = (long) H_LSEEK.invokeExact(err, fd, offset, whence);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code copy_file_range(fdIn, offsetIn, fdOut, offsetOut, length, flags)} with 8-byte {@code loff_t} offsets that the call advances; the bytes copied. */
    public static long copyFileRange(int fdIn, MemorySegment offsetIn, int fdOut, MemorySegment offsetOut, long length, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_COPY_FILE_RANGE.invokeExact(err, fdIn, offsetIn, fdOut, offsetOut, length, flags);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code pread(fd, buffer, buffer.byteSize(), offset)}; the bytes read, 0 at end of file. {@code buffer} must be native. */
    public static long pread(int fd, MemorySegment buffer, long offset) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_PREAD.invokeExact(err, fd, buffer, buffer.byteSize(), offset);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code pwrite(fd, buffer, buffer.byteSize(), offset)}; the bytes written. {@code buffer} must be native. */
    public static long pwrite(int fd, MemorySegment buffer, long offset) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_PWRITE.invokeExact(err, fd, buffer, buffer.byteSize(), offset);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code preadv(fd, iov, count, offset)} over {@code count} {@link Structs#IOVEC}s; the bytes read. */
    public static long preadv(int fd, MemorySegment iov, int count, long offset) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_PREADV.invokeExact(err, fd, iov, count, offset);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code pwritev(fd, iov, count, offset)} over {@code count} {@link Structs#IOVEC}s; the bytes written. */
    public static long pwritev(int fd, MemorySegment iov, int count, long offset) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_PWRITEV.invokeExact(err, fd, iov, count, offset);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code getdents64(fd, buffer, buffer.byteSize())}: packed {@code linux_dirent64} records ({@link FileStructs#D_INO}...); the bytes filled, 0 at the end of the directory. */
    public static long getdents64(int fd, MemorySegment buffer) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_GETDENTS64.invokeExact(err, fd, buffer, buffer.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code fstatfs(fd, statfs)} into a {@link FileStructs#STATFS} buffer (works on {@code O_PATH} descriptors); 0. */
    public static int fstatfs(int fd, MemorySegment statfs) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            int r;
            try {
                r = (int) H_FSTATFS.invokeExact(err, fd, statfs);
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** {@code getxattr(path, name, value, value.byteSize())}; the value's length. An empty {@code value} asks for the length only. */
    public static long getxattr(MemorySegment path, MemorySegment name, MemorySegment value) {
        MemorySegment err = Linkage.errnoSegment();
        long r;
        try {
            r = (long) H_GETXATTR.invokeExact(err, path, name, value, value.byteSize());
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code setxattr(path, name, value, value.byteSize(), flags)}; 0. */
    public static int setxattr(MemorySegment path, MemorySegment name, MemorySegment value, int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_SETXATTR.invokeExact(err, path, name, value, value.byteSize(), flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code listxattr(path, list, list.byteSize())}: NUL-terminated names back to back; their total length. */
    public static long listxattr(MemorySegment path, MemorySegment list) {
        MemorySegment err = Linkage.errnoSegment();
        long r;
        try {
            r = (long) H_LISTXATTR.invokeExact(err, path, list, list.byteSize());
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code removexattr(path, name)}; 0. */
    public static int removexattr(MemorySegment path, MemorySegment name) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_REMOVEXATTR.invokeExact(err, path, name);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /** {@code close(fd)}; 0. EINTR counts as success: Linux has released the number anyway. */
    public static int close(int fd) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_CLOSE.invokeExact(err, fd);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        if (r >= 0) {
            return r;
        }
        int errno = Linkage.errno(err);
        return errno == Errno.EINTR ? 0 : -errno;
    }

    /** {@code readlinkat(dirfd, path, buffer, buffer.byteSize())}: the target's length (not terminated). */
    public static long readlinkat(int dirfd, MemorySegment path, MemorySegment buffer) {
        MemorySegment err = Linkage.errnoSegment();
        long r;
        try {
            r = (long) H_READLINKAT.invokeExact(err, dirfd, path, buffer, buffer.byteSize());
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /**
     * {@code openat2(dirfd, path, how, sizeof(struct open_how))} with a {@link FileStructs#OPEN_HOW};
     * the new descriptor. -ENOSYS on kernels before 5.6.
     */
    public static int openat2(int dirfd, MemorySegment path, MemorySegment how) {
        MemorySegment err = Linkage.errnoSegment();
        while (true) {
            long r;
            try {
                r = (long) H_SYSCALL_OPENAT2.invokeExact(err, SYS_OPENAT2, (long) dirfd, path, how,
                        FileStructs.OPEN_HOW.byteSize());
            } catch (Throwable t) {
                throw Linkage.rethrow(t);
            }
            if (r >= 0) {
                return (int) r;
            }
            int errno = Linkage.errno(err);
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }
}
