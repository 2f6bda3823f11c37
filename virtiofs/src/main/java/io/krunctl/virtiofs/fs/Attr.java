package io.krunctl.virtiofs.fs;

/**
 * The attributes of one inode, field for field what FUSE's {@code struct fuse_attr} carries (a
 * {@code stat} with times split into seconds and nanoseconds).
 *
 * @param mode    file type and permission bits, as {@code st_mode}
 * @param flags   FUSE attribute flags, e.g. {@link #ATTR_SUBMOUNT}
 */
public record Attr(
        long inode,
        int mode,
        int nlink,
        int uid,
        int gid,
        int rdev,
        long size,
        long blocks,
        int blksize,
        long atime,
        int atimeNanos,
        long mtime,
        int mtimeNanos,
        long ctime,
        int ctimeNanos,
        int flags) {

    /** FUSE_ATTR_SUBMOUNT: the inode is the root of another host filesystem. */
    public static final int ATTR_SUBMOUNT = 1;

    /** All zero; the attributes of "no inode". */
    public static final Attr NONE = new Attr(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
