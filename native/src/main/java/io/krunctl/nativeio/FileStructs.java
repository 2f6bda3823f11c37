package io.krunctl.nativeio;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * Linux x86_64 layouts of the structs {@link FileCalls} and {@link ThreadCredentials} exchange with
 * the kernel, with explicit padding; sizes and offsets are pinned by tests against the values a C
 * compiler gives for {@code <linux/stat.h>}, {@code <linux/openat2.h>}, {@code <sys/statfs.h>} and
 * {@code <linux/capability.h>}.
 *
 * <p>Fields are read with the plain {@code ValueLayout} accessors at the {@code *_OFFSET} constants
 * ({@code segment.get(JAVA_LONG, STX_INO)}), which keeps the hot path free of var-handle coordinates.
 */
public final class FileStructs {
    /**
     * {@code struct statx_timestamp} (16 bytes).
     * {@snippet lang=c :
     * struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; };
     * }
     */
    public static final StructLayout STATX_TIMESTAMP = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_INT.withName("tv_nsec"),
            JAVA_INT.withName("__reserved"))
            .withName("statx_timestamp");

    /** {@code struct statx} (256 bytes, {@code <linux/stat.h>}). */
    public static final StructLayout STATX = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"),
            JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"),
            JAVA_INT.withName("stx_uid"),
            JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"),
            MemoryLayout.paddingLayout(2),
            JAVA_LONG.withName("stx_ino"),
            JAVA_LONG.withName("stx_size"),
            JAVA_LONG.withName("stx_blocks"),
            JAVA_LONG.withName("stx_attributes_mask"),
            STATX_TIMESTAMP.withName("stx_atime"),
            STATX_TIMESTAMP.withName("stx_btime"),
            STATX_TIMESTAMP.withName("stx_ctime"),
            STATX_TIMESTAMP.withName("stx_mtime"),
            JAVA_INT.withName("stx_rdev_major"),
            JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"),
            JAVA_INT.withName("stx_dev_minor"),
            JAVA_LONG.withName("stx_mnt_id"),
            JAVA_INT.withName("stx_dio_mem_align"),
            JAVA_INT.withName("stx_dio_offset_align"),
            MemoryLayout.paddingLayout(96))
            .withName("statx");

    public static final long STX_MASK = STATX.byteOffset(groupElement("stx_mask"));
    public static final long STX_BLKSIZE = STATX.byteOffset(groupElement("stx_blksize"));
    public static final long STX_NLINK = STATX.byteOffset(groupElement("stx_nlink"));
    public static final long STX_UID = STATX.byteOffset(groupElement("stx_uid"));
    public static final long STX_GID = STATX.byteOffset(groupElement("stx_gid"));
    public static final long STX_MODE = STATX.byteOffset(groupElement("stx_mode"));
    public static final long STX_INO = STATX.byteOffset(groupElement("stx_ino"));
    public static final long STX_SIZE = STATX.byteOffset(groupElement("stx_size"));
    public static final long STX_BLOCKS = STATX.byteOffset(groupElement("stx_blocks"));
    public static final long STX_ATIME = STATX.byteOffset(groupElement("stx_atime"));
    public static final long STX_CTIME = STATX.byteOffset(groupElement("stx_ctime"));
    public static final long STX_MTIME = STATX.byteOffset(groupElement("stx_mtime"));
    public static final long STX_RDEV_MAJOR = STATX.byteOffset(groupElement("stx_rdev_major"));
    public static final long STX_RDEV_MINOR = STATX.byteOffset(groupElement("stx_rdev_minor"));
    public static final long STX_DEV_MAJOR = STATX.byteOffset(groupElement("stx_dev_major"));
    public static final long STX_DEV_MINOR = STATX.byteOffset(groupElement("stx_dev_minor"));
    public static final long STX_MNT_ID = STATX.byteOffset(groupElement("stx_mnt_id"));
    /** Offset of {@code tv_sec} inside a {@code statx_timestamp}. */
    public static final long TS_SEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_sec"));
    /** Offset of {@code tv_nsec} inside a {@code statx_timestamp}. */
    public static final long TS_NSEC = STATX_TIMESTAMP.byteOffset(groupElement("tv_nsec"));

    /**
     * {@code struct open_how} (24 bytes, {@code <linux/openat2.h>}).
     * {@snippet lang=c :
     * struct open_how { __u64 flags; __u64 mode; __u64 resolve; };
     * }
     */
    public static final StructLayout OPEN_HOW = MemoryLayout.structLayout(
            JAVA_LONG.withName("flags"),
            JAVA_LONG.withName("mode"),
            JAVA_LONG.withName("resolve"))
            .withName("open_how");

    public static final long HOW_FLAGS = OPEN_HOW.byteOffset(groupElement("flags"));
    public static final long HOW_MODE = OPEN_HOW.byteOffset(groupElement("mode"));
    public static final long HOW_RESOLVE = OPEN_HOW.byteOffset(groupElement("resolve"));

    /** {@code struct timespec} (16 bytes); {@code utimensat} takes two of them (atime, mtime). */
    public static final StructLayout TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec"))
            .withName("timespec");

    /** {@code struct statfs} (120 bytes, glibc x86_64: every {@code __fsword_t} and count is 8 bytes). */
    public static final StructLayout STATFS = MemoryLayout.structLayout(
            JAVA_LONG.withName("f_type"),
            JAVA_LONG.withName("f_bsize"),
            JAVA_LONG.withName("f_blocks"),
            JAVA_LONG.withName("f_bfree"),
            JAVA_LONG.withName("f_bavail"),
            JAVA_LONG.withName("f_files"),
            JAVA_LONG.withName("f_ffree"),
            MemoryLayout.sequenceLayout(2, JAVA_INT).withName("f_fsid"),
            JAVA_LONG.withName("f_namelen"),
            JAVA_LONG.withName("f_frsize"),
            JAVA_LONG.withName("f_flags"),
            MemoryLayout.sequenceLayout(4, JAVA_LONG).withName("f_spare"))
            .withName("statfs");

    public static final long F_BSIZE = STATFS.byteOffset(groupElement("f_bsize"));
    public static final long F_BLOCKS = STATFS.byteOffset(groupElement("f_blocks"));
    public static final long F_BFREE = STATFS.byteOffset(groupElement("f_bfree"));
    public static final long F_BAVAIL = STATFS.byteOffset(groupElement("f_bavail"));
    public static final long F_FILES = STATFS.byteOffset(groupElement("f_files"));
    public static final long F_FFREE = STATFS.byteOffset(groupElement("f_ffree"));
    public static final long F_NAMELEN = STATFS.byteOffset(groupElement("f_namelen"));
    public static final long F_FRSIZE = STATFS.byteOffset(groupElement("f_frsize"));

    /**
     * The fixed head of {@code struct linux_dirent64} as {@code getdents64} packs it; the NUL-terminated
     * name follows at {@link #D_NAME} and each record is {@code d_reclen} bytes (a multiple of 8).
     * {@snippet lang=c :
     * struct linux_dirent64 { u64 d_ino; s64 d_off; unsigned short d_reclen; unsigned char d_type; char d_name[]; };
     * }
     */
    public static final long D_INO = 0;
    public static final long D_OFF = 8;
    public static final long D_RECLEN = 16;
    public static final long D_TYPE = 18;
    public static final long D_NAME = 19;

    /** {@code struct __user_cap_header_struct} (8 bytes). */
    public static final StructLayout CAP_HEADER = MemoryLayout.structLayout(
            JAVA_INT.withName("version"),
            JAVA_INT.withName("pid"))
            .withName("__user_cap_header_struct");

    /** {@code struct __user_cap_data_struct} (12 bytes); version 3 passes an array of two. */
    public static final StructLayout CAP_DATA = MemoryLayout.structLayout(
            JAVA_INT.withName("effective"),
            JAVA_INT.withName("permitted"),
            JAVA_INT.withName("inheritable"))
            .withName("__user_cap_data_struct");

    public static final long CAP_EFFECTIVE = CAP_DATA.byteOffset(groupElement("effective"));
    public static final long CAP_PERMITTED = CAP_DATA.byteOffset(groupElement("permitted"));

    private FileStructs() {
    }
}
