package io.krunctl.virtiofs.fs;

/** Request flag bits that FUSE passes to filesystem operations unchanged. */
public final class FsFlags {
    /** write: a delayed write from the guest page cache (no caller waiting on this exact write). */
    public static final int WRITE_CACHE = 1;
    /** write: lock owner is valid. */
    public static final int WRITE_LOCKOWNER = 1 << 1;
    /** write: clear setuid/setgid (only with {@link InitFlags#HANDLE_KILLPRIV_V2}). */
    public static final int WRITE_KILL_SUIDGID = 1 << 2;

    /** release: flush before releasing. */
    public static final int RELEASE_FLUSH = 1;
    /** release: drop the flock held through this open file. */
    public static final int RELEASE_FLOCK_UNLOCK = 1 << 1;

    /** getlk/setlk: a BSD flock rather than a POSIX lock. */
    public static final int LK_FLOCK = 1;

    /** ioctl: 32-bit compat ioctl. */
    public static final int IOCTL_COMPAT = 1;
    /** ioctl: unrestricted (CUSE only; never accepted here). */
    public static final int IOCTL_UNRESTRICTED = 1 << 1;
    /** ioctl: the caller is 32-bit. */
    public static final int IOCTL_32BIT = 1 << 3;
    /** ioctl: issued on a directory. */
    public static final int IOCTL_DIR = 1 << 4;

    private FsFlags() {
    }
}
