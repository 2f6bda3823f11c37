package io.krunctl.virtiofs.fs;

/**
 * Linux x86_64 constants that FUSE carries verbatim from the guest's syscalls (open flags, mode bits,
 * access masks, lseek whences), so filesystems compare against the same numbers the guest used.
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

    public static final int O_ACCMODE = 03;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_DIRECTORY = 0200000;

    public static final int F_OK = 0;
    public static final int X_OK = 1;
    public static final int W_OK = 2;
    public static final int R_OK = 4;

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

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
