package io.krunctl.nativeio;

/**
 * Linux x86_64 values of {@code <fcntl.h>}: open flags, {@code fcntl} commands and the {@code lseek}
 * whences, each defined here alone. The binding classes take and return them, and the FUSE layer
 * compares a guest's open flags and whences against them: a Linux x86_64 guest uses the same numbers.
 * Octal, as the C header writes the open flags.
 */
public final class Fcntl {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 01;
    public static final int O_RDWR = 02;
    public static final int O_ACCMODE = 03;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECT = 040000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_NOATIME = 01000000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;
    /** {@code __O_TMPFILE} without the {@code O_DIRECTORY} bit that {@code O_TMPFILE} adds. */
    public static final int O_TMPFILE_BIT = 020000000;

    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int FD_CLOEXEC = 1;

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    /** The next data at or after the offset; ENXIO past the last. */
    public static final int SEEK_DATA = 3;
    /** The next hole at or after the offset; the end of the file counts as one. */
    public static final int SEEK_HOLE = 4;

    private Fcntl() {
    }
}
