package io.krunctl.nativeio;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * Typed reads of a {@code struct statx} buffer ({@link FileStructs#STATX}) that
 * {@link FileCalls#statx} filled, in the manner of a jextract struct class: callers name the field
 * and never an offset. Each accessor reads the C field named in its comment.
 * {@snippet lang=c :
 * struct statx { __u32 stx_mask; __u32 stx_blksize; __u64 stx_attributes; __u32 stx_nlink;
 *     __u32 stx_uid; __u32 stx_gid; __u16 stx_mode; __u64 stx_ino; __u64 stx_size; __u64 stx_blocks;
 *     __u64 stx_attributes_mask; struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
 *     __u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor; __u64 stx_mnt_id; ... };
 * }
 */
public final class Statx {
    private Statx() {
    }

    /** {@code sizeof(struct statx)}. */
    public static long sizeof() {
        return FileStructs.STATX.byteSize();
    }

    /** A buffer for one {@code struct statx}. */
    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(FileStructs.STATX);
    }

    /** {@code stx_mask}: which {@code STATX_*} fields the kernel filled. */
    public static int mask(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_MASK);
    }

    /** {@code stx_blksize}. */
    public static int blksize(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_BLKSIZE);
    }

    /** {@code stx_nlink}. */
    public static int nlink(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_NLINK);
    }

    /** {@code stx_uid}. */
    public static int uid(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_UID);
    }

    /** {@code stx_gid}. */
    public static int gid(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_GID);
    }

    /** {@code stx_mode}, file type and permission bits, unsigned. */
    public static int mode(MemorySegment s) {
        return Short.toUnsignedInt(s.get(JAVA_SHORT, FileStructs.STX_MODE));
    }

    /** {@code stx_ino}. */
    public static long ino(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_INO);
    }

    /** {@code stx_size}. */
    public static long size(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_SIZE);
    }

    /** {@code stx_blocks}: 512-byte blocks allocated. */
    public static long blocks(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_BLOCKS);
    }

    /** {@code stx_atime.tv_sec}. */
    public static long atimeSec(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_ATIME + FileStructs.TS_SEC);
    }

    /** {@code stx_atime.tv_nsec}. */
    public static int atimeNsec(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_ATIME + FileStructs.TS_NSEC);
    }

    /** {@code stx_mtime.tv_sec}. */
    public static long mtimeSec(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_MTIME + FileStructs.TS_SEC);
    }

    /** {@code stx_mtime.tv_nsec}. */
    public static int mtimeNsec(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_MTIME + FileStructs.TS_NSEC);
    }

    /** {@code stx_ctime.tv_sec}. */
    public static long ctimeSec(MemorySegment s) {
        return s.get(JAVA_LONG, FileStructs.STX_CTIME + FileStructs.TS_SEC);
    }

    /** {@code stx_ctime.tv_nsec}. */
    public static int ctimeNsec(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_CTIME + FileStructs.TS_NSEC);
    }

    /** {@code stx_rdev_major}: the device a device node stands for. */
    public static int rdevMajor(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_RDEV_MAJOR);
    }

    /** {@code stx_rdev_minor}. */
    public static int rdevMinor(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_RDEV_MINOR);
    }

    /** {@code stx_dev_major}: the device the file is on. */
    public static int devMajor(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_DEV_MAJOR);
    }

    /** {@code stx_dev_minor}. */
    public static int devMinor(MemorySegment s) {
        return s.get(JAVA_INT, FileStructs.STX_DEV_MINOR);
    }

    /** {@code stx_mnt_id}, or 0 where the kernel did not fill it (before 5.8: see {@link #mask}). */
    public static long mntId(MemorySegment s) {
        return (mask(s) & FileCalls.STATX_MNT_ID) != 0 ? s.get(JAVA_LONG, FileStructs.STX_MNT_ID) : 0;
    }
}
