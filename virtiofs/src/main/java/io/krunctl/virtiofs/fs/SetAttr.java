package io.krunctl.virtiofs.fs;

/**
 * A setattr request: which attributes to change ({@code valid}, FATTR_* bits) and their new values.
 * Fields whose bit is not set carry no meaning.
 */
public record SetAttr(
        int valid, long handle, long size, long lockOwner,
        long atime, int atimeNanos, long mtime, int mtimeNanos, long ctime, int ctimeNanos,
        int mode, int uid, int gid) {

    public static final int MODE = 1;
    public static final int UID = 1 << 1;
    public static final int GID = 1 << 2;
    public static final int SIZE = 1 << 3;
    public static final int ATIME = 1 << 4;
    public static final int MTIME = 1 << 5;
    /** {@link #handle()} names the open file the change was made through (ftruncate, fchmod, ...). */
    public static final int HANDLE = 1 << 6;
    public static final int ATIME_NOW = 1 << 7;
    public static final int MTIME_NOW = 1 << 8;
    public static final int LOCKOWNER = 1 << 9;
    public static final int CTIME = 1 << 10;
    /** Clear setuid/setgid (only with {@link InitFlags#HANDLE_KILLPRIV_V2}). */
    public static final int KILL_SUIDGID = 1 << 11;

    public boolean has(int bit) {
        return (valid & bit) != 0;
    }
}
