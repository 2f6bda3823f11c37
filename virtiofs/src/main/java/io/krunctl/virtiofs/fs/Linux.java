package io.krunctl.virtiofs.fs;

/**
 * Linux x86_64 constants that FUSE carries verbatim from the guest's syscalls (mode bits, access
 * masks, directory entry types), so filesystems compare against the same numbers the guest used.
 * Open flags and lseek whences are {@link io.krunctl.nativeio.Fcntl}'s: the host's values, which a
 * Linux x86_64 guest shares.
 */
public final class Linux {
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;
    /** Permission, setuid, setgid and sticky bits: everything but the file type. */
    public static final int PERMISSION_BITS = 07777;

    public static final int F_OK = 0;
    public static final int X_OK = 1;
    public static final int W_OK = 2;
    public static final int R_OK = 4;

    /** {@code d_type} values: the file type bits shifted down, as {@code IFTODT} does. */
    public static final int DT_UNKNOWN = 0;
    public static final int DT_DIR = S_IFDIR >>> 12;
    public static final int DT_REG = S_IFREG >>> 12;
    public static final int DT_LNK = S_IFLNK >>> 12;

    private Linux() {
    }

    /** The {@code d_type} of a file with this {@code st_mode}. */
    public static int direntType(int mode) {
        return (mode & S_IFMT) >>> 12;
    }
}
