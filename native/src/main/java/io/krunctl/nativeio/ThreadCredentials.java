package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Who the calling thread is for the file system: its filesystem uid and gid and its capability sets
 * ({@code setfsuid}/{@code setfsgid}/{@code capget}/{@code capset} as raw system calls, which unlike
 * the C library's {@code setresuid} affect the calling thread only), its own filesystem context
 * ({@code unshare(CLONE_FS)}) and umask, and the process's effective uid. Errors are returned as
 * {@code -errno}, as in {@link FileCalls}.
 */
public final class ThreadCredentials {
    /** {@code unshare} flag: give the calling thread its own cwd, root and umask. */
    public static final int CLONE_FS = 0x200;

    /** {@code _LINUX_CAPABILITY_VERSION_3}: two {@link FileStructs#CAP_DATA} words of 32 capabilities. */
    public static final int CAPABILITY_VERSION_3 = 0x20080522;

    static final long SYS_CAPGET = 125;
    static final long SYS_CAPSET = 126;
    static final long SYS_SETFSUID = 122;
    static final long SYS_SETFSGID = 123;

    private static final MethodHandle H_UNSHARE = Linkage.withErrno("unshare",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    /** {@code long syscall(long, ...)} with one integer argument ({@code setfsuid}, {@code setfsgid}). */
    private static final MethodHandle H_SYSCALL_LONG = Linkage.plain("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    /** {@code long syscall(long, ...)} with two pointers ({@code capget}, {@code capset}). */
    private static final MethodHandle H_SYSCALL_PTR_PTR = Linkage.withErrno("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), Linker.Option.firstVariadicArg(1));
    private static final MethodHandle H_UMASK = Linkage.plain("umask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle H_GETEUID = Linkage.plain("geteuid",
            FunctionDescriptor.of(JAVA_INT));

    private ThreadCredentials() {
    }

    /** {@code unshare(flags)} for the calling thread; 0. */
    public static int unshare(int flags) {
        MemorySegment err = Linkage.errnoSegment();
        int r;
        try {
            r = (int) H_UNSHARE.invokeExact(err, flags);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? r : -Linkage.errno(err);
    }

    /**
     * The raw {@code setfsuid} system call, for the calling thread only; returns the previous
     * filesystem uid (the call reports no errors: an unprivileged caller's change is silently
     * ignored, so compare a second call's answer to check). Changing it from 0 to non-zero drops
     * the file-system capabilities from the thread's effective set; back to 0 raises them again.
     */
    public static int setfsuid(int uid) {
        try {
            return (int) (long) H_SYSCALL_LONG.invokeExact(SYS_SETFSUID, Integer.toUnsignedLong(uid));
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
    }

    /** The raw {@code setfsgid} system call, for the calling thread only; see {@link #setfsuid}. */
    public static int setfsgid(int gid) {
        try {
            return (int) (long) H_SYSCALL_LONG.invokeExact(SYS_SETFSGID, Integer.toUnsignedLong(gid));
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
    }

    /**
     * {@code capget(header, data)} for the calling thread: {@code header} a {@link FileStructs#CAP_HEADER}
     * with version {@link #CAPABILITY_VERSION_3} and pid 0, {@code data} two {@link FileStructs#CAP_DATA}.
     */
    public static int capget(MemorySegment header, MemorySegment data) {
        return capCall(SYS_CAPGET, header, data);
    }

    /** {@code capset(header, data)} for the calling thread; see {@link #capget}. */
    public static int capset(MemorySegment header, MemorySegment data) {
        return capCall(SYS_CAPSET, header, data);
    }

    private static int capCall(long number, MemorySegment header, MemorySegment data) {
        MemorySegment err = Linkage.errnoSegment();
        long r;
        try {
            r = (long) H_SYSCALL_PTR_PTR.invokeExact(err, number, header, data);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
        return r >= 0 ? (int) r : -Linkage.errno(err);
    }

    /** {@code umask(mask)}; the previous mask. Per process, unless the thread unshared {@link #CLONE_FS}. */
    public static int umask(int mask) {
        try {
            return (int) H_UMASK.invokeExact(mask);
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
    }

    /** {@code geteuid()}. */
    public static int geteuid() {
        try {
            return (int) H_GETEUID.invokeExact();
        } catch (Throwable t) {
            throw Linkage.rethrow(t);
        }
    }
}
