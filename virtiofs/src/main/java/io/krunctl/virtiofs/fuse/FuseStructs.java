package io.krunctl.virtiofs.fuse;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The FUSE wire structs ({@code include/uapi/linux/fuse.h}, protocol 7.27 plus the INIT extension), as
 * explicit layouts with explicit padding, and the byte offsets of the fields this server reads or
 * writes.
 *
 * <p>The layouts use naturally aligned members, so building them fails if a padding field were missing;
 * the values themselves are read and written with unaligned accessors ({@link #getInt} ...) because
 * requests are parsed from copies in plain byte arrays. FUSE is little-endian here: guest and host are
 * both x86_64.
 */
final class FuseStructs {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final ValueLayout.OfShort U16_ANY = U16.withByteAlignment(1);
    private static final ValueLayout.OfInt U32_ANY = U32.withByteAlignment(1);
    private static final ValueLayout.OfLong U64_ANY = U64.withByteAlignment(1);

    private FuseStructs() {
    }

    static int getInt(MemorySegment s, long offset) {
        return s.get(U32_ANY, offset);
    }

    static long getLong(MemorySegment s, long offset) {
        return s.get(U64_ANY, offset);
    }

    static int getUnsignedShort(MemorySegment s, long offset) {
        return Short.toUnsignedInt(s.get(U16_ANY, offset));
    }

    static void putShort(MemorySegment s, long offset, int value) {
        s.set(U16_ANY, offset, (short) value);
    }

    static void putInt(MemorySegment s, long offset, int value) {
        s.set(U32_ANY, offset, value);
    }

    static void putLong(MemorySegment s, long offset, long value) {
        s.set(U64_ANY, offset, value);
    }

    private static StructLayout struct(String name, MemoryLayout... members) {
        return MemoryLayout.structLayout(members).withName(name);
    }

    private static long offset(StructLayout layout, String field) {
        return layout.byteOffset(PathElement.groupElement(field));
    }

    private static ValueLayout.OfInt u32(String name) {
        return U32.withName(name);
    }

    private static ValueLayout.OfLong u64(String name) {
        return U64.withName(name);
    }

    private static ValueLayout.OfShort u16(String name) {
        return U16.withName(name);
    }

    private static MemoryLayout u32s(String name, int count) {
        return MemoryLayout.sequenceLayout(count, U32).withName(name);
    }

    static final class InHeader {
        static final StructLayout LAYOUT = struct("fuse_in_header",
                u32("len"), u32("opcode"), u64("unique"), u64("nodeid"),
                u32("uid"), u32("gid"), u32("pid"), u16("total_extlen"), u16("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long LEN = offset(LAYOUT, "len");
        static final long OPCODE = offset(LAYOUT, "opcode");
        static final long UNIQUE = offset(LAYOUT, "unique");
        static final long NODEID = offset(LAYOUT, "nodeid");
        static final long UID = offset(LAYOUT, "uid");
        static final long GID = offset(LAYOUT, "gid");
        static final long PID = offset(LAYOUT, "pid");
    }

    static final class OutHeader {
        static final StructLayout LAYOUT = struct("fuse_out_header", u32("len"), u32("error"), u64("unique"));
        static final long SIZE = LAYOUT.byteSize();
        static final long LEN = offset(LAYOUT, "len");
        static final long ERROR = offset(LAYOUT, "error");
        static final long UNIQUE = offset(LAYOUT, "unique");
    }

    static final class InitIn {
        static final StructLayout LAYOUT = struct("fuse_init_in",
                u32("major"), u32("minor"), u32("max_readahead"), u32("flags"), u32("flags2"), u32s("unused", 11));
        static final long SIZE = LAYOUT.byteSize();
        /** What kernels before the INIT extension send: everything up to {@code flags}. */
        static final long COMPAT_SIZE = 16;
        static final long MAJOR = offset(LAYOUT, "major");
        static final long MINOR = offset(LAYOUT, "minor");
        static final long MAX_READAHEAD = offset(LAYOUT, "max_readahead");
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long FLAGS2 = offset(LAYOUT, "flags2");
    }

    static final class InitOut {
        static final StructLayout LAYOUT = struct("fuse_init_out",
                u32("major"), u32("minor"), u32("max_readahead"), u32("flags"),
                u16("max_background"), u16("congestion_threshold"), u32("max_write"), u32("time_gran"),
                u16("max_pages"), u16("map_alignment"), u32("flags2"), u32s("unused", 7));
        static final long SIZE = LAYOUT.byteSize();
        static final long MAJOR = offset(LAYOUT, "major");
        static final long MINOR = offset(LAYOUT, "minor");
        static final long MAX_READAHEAD = offset(LAYOUT, "max_readahead");
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long MAX_BACKGROUND = offset(LAYOUT, "max_background");
        static final long CONGESTION_THRESHOLD = offset(LAYOUT, "congestion_threshold");
        static final long MAX_WRITE = offset(LAYOUT, "max_write");
        static final long TIME_GRAN = offset(LAYOUT, "time_gran");
        static final long MAX_PAGES = offset(LAYOUT, "max_pages");
        static final long MAP_ALIGNMENT = offset(LAYOUT, "map_alignment");
        static final long FLAGS2 = offset(LAYOUT, "flags2");
    }

    static final class FuseAttr {
        static final StructLayout LAYOUT = struct("fuse_attr",
                u64("ino"), u64("size"), u64("blocks"), u64("atime"), u64("mtime"), u64("ctime"),
                u32("atimensec"), u32("mtimensec"), u32("ctimensec"), u32("mode"), u32("nlink"),
                u32("uid"), u32("gid"), u32("rdev"), u32("blksize"), u32("flags"));
        static final long SIZE = LAYOUT.byteSize();
        static final long INO = offset(LAYOUT, "ino");
        static final long FILE_SIZE = offset(LAYOUT, "size");
        static final long BLOCKS = offset(LAYOUT, "blocks");
        static final long ATIME = offset(LAYOUT, "atime");
        static final long MTIME = offset(LAYOUT, "mtime");
        static final long CTIME = offset(LAYOUT, "ctime");
        static final long ATIMENSEC = offset(LAYOUT, "atimensec");
        static final long MTIMENSEC = offset(LAYOUT, "mtimensec");
        static final long CTIMENSEC = offset(LAYOUT, "ctimensec");
        static final long MODE = offset(LAYOUT, "mode");
        static final long NLINK = offset(LAYOUT, "nlink");
        static final long UID = offset(LAYOUT, "uid");
        static final long GID = offset(LAYOUT, "gid");
        static final long RDEV = offset(LAYOUT, "rdev");
        static final long BLKSIZE = offset(LAYOUT, "blksize");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    static final class EntryOut {
        static final StructLayout LAYOUT = struct("fuse_entry_out",
                u64("nodeid"), u64("generation"), u64("entry_valid"), u64("attr_valid"),
                u32("entry_valid_nsec"), u32("attr_valid_nsec"), FuseAttr.LAYOUT.withName("attr"));
        static final long SIZE = LAYOUT.byteSize();
        static final long NODEID = offset(LAYOUT, "nodeid");
        static final long GENERATION = offset(LAYOUT, "generation");
        static final long ENTRY_VALID = offset(LAYOUT, "entry_valid");
        static final long ATTR_VALID = offset(LAYOUT, "attr_valid");
        static final long ENTRY_VALID_NSEC = offset(LAYOUT, "entry_valid_nsec");
        static final long ATTR_VALID_NSEC = offset(LAYOUT, "attr_valid_nsec");
        static final long ATTR = offset(LAYOUT, "attr");
    }

    static final class AttrOut {
        static final StructLayout LAYOUT = struct("fuse_attr_out",
                u64("attr_valid"), u32("attr_valid_nsec"), u32("dummy"), FuseAttr.LAYOUT.withName("attr"));
        static final long SIZE = LAYOUT.byteSize();
        static final long ATTR_VALID = offset(LAYOUT, "attr_valid");
        static final long ATTR_VALID_NSEC = offset(LAYOUT, "attr_valid_nsec");
        static final long ATTR = offset(LAYOUT, "attr");
    }

    static final class GetattrIn {
        static final StructLayout LAYOUT = struct("fuse_getattr_in", u32("getattr_flags"), u32("dummy"), u64("fh"));
        static final long SIZE = LAYOUT.byteSize();
        static final long GETATTR_FLAGS = offset(LAYOUT, "getattr_flags");
        static final long FH = offset(LAYOUT, "fh");
        /** FUSE_GETATTR_FH: {@code fh} names the open file. */
        static final int FLAG_FH = 1;
    }

    static final class SetattrIn {
        static final StructLayout LAYOUT = struct("fuse_setattr_in",
                u32("valid"), u32("padding"), u64("fh"), u64("size"), u64("lock_owner"),
                u64("atime"), u64("mtime"), u64("ctime"), u32("atimensec"), u32("mtimensec"), u32("ctimensec"),
                u32("mode"), u32("unused4"), u32("uid"), u32("gid"), u32("unused5"));
        static final long SIZE = LAYOUT.byteSize();
        static final long VALID = offset(LAYOUT, "valid");
        static final long FH = offset(LAYOUT, "fh");
        static final long FILE_SIZE = offset(LAYOUT, "size");
        static final long LOCK_OWNER = offset(LAYOUT, "lock_owner");
        static final long ATIME = offset(LAYOUT, "atime");
        static final long MTIME = offset(LAYOUT, "mtime");
        static final long CTIME = offset(LAYOUT, "ctime");
        static final long ATIMENSEC = offset(LAYOUT, "atimensec");
        static final long MTIMENSEC = offset(LAYOUT, "mtimensec");
        static final long CTIMENSEC = offset(LAYOUT, "ctimensec");
        static final long MODE = offset(LAYOUT, "mode");
        static final long UID = offset(LAYOUT, "uid");
        static final long GID = offset(LAYOUT, "gid");
    }

    static final class OpenIn {
        static final StructLayout LAYOUT = struct("fuse_open_in", u32("flags"), u32("open_flags"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long OPEN_FLAGS = offset(LAYOUT, "open_flags");
        /** FUSE_OPEN_KILL_SUIDGID in {@code open_flags}. */
        static final int KILL_SUIDGID = 1;
    }

    static final class OpenOut {
        static final StructLayout LAYOUT = struct("fuse_open_out", u64("fh"), u32("open_flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OPEN_FLAGS = offset(LAYOUT, "open_flags");
    }

    static final class CreateIn {
        static final StructLayout LAYOUT = struct("fuse_create_in",
                u32("flags"), u32("mode"), u32("umask"), u32("open_flags"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long MODE = offset(LAYOUT, "mode");
        static final long UMASK = offset(LAYOUT, "umask");
        static final long OPEN_FLAGS = offset(LAYOUT, "open_flags");
    }

    static final class MknodIn {
        static final StructLayout LAYOUT = struct("fuse_mknod_in",
                u32("mode"), u32("rdev"), u32("umask"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long MODE = offset(LAYOUT, "mode");
        static final long RDEV = offset(LAYOUT, "rdev");
        static final long UMASK = offset(LAYOUT, "umask");
    }

    static final class MkdirIn {
        static final StructLayout LAYOUT = struct("fuse_mkdir_in", u32("mode"), u32("umask"));
        static final long SIZE = LAYOUT.byteSize();
        static final long MODE = offset(LAYOUT, "mode");
        static final long UMASK = offset(LAYOUT, "umask");
    }

    static final class RenameIn {
        static final StructLayout LAYOUT = struct("fuse_rename_in", u64("newdir"));
        static final long SIZE = LAYOUT.byteSize();
        static final long NEWDIR = offset(LAYOUT, "newdir");
    }

    static final class Rename2In {
        static final StructLayout LAYOUT = struct("fuse_rename2_in", u64("newdir"), u32("flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long NEWDIR = offset(LAYOUT, "newdir");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    static final class LinkIn {
        static final StructLayout LAYOUT = struct("fuse_link_in", u64("oldnodeid"));
        static final long SIZE = LAYOUT.byteSize();
        static final long OLDNODEID = offset(LAYOUT, "oldnodeid");
    }

    /** fuse_read_in and fuse_write_in share this shape. */
    static final class ReadIn {
        static final StructLayout LAYOUT = struct("fuse_read_in",
                u64("fh"), u64("offset"), u32("size"), u32("read_flags"), u64("lock_owner"),
                u32("flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OFFSET = offset(LAYOUT, "offset");
        static final long READ_SIZE = offset(LAYOUT, "size");
        static final long READ_FLAGS = offset(LAYOUT, "read_flags");
        static final long LOCK_OWNER = offset(LAYOUT, "lock_owner");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    static final class WriteIn {
        static final StructLayout LAYOUT = struct("fuse_write_in",
                u64("fh"), u64("offset"), u32("size"), u32("write_flags"), u64("lock_owner"),
                u32("flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OFFSET = offset(LAYOUT, "offset");
        static final long WRITE_SIZE = offset(LAYOUT, "size");
        static final long WRITE_FLAGS = offset(LAYOUT, "write_flags");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    static final class WriteOut {
        static final StructLayout LAYOUT = struct("fuse_write_out", u32("size"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long WRITTEN = offset(LAYOUT, "size");
    }

    static final class ReleaseIn {
        static final StructLayout LAYOUT = struct("fuse_release_in",
                u64("fh"), u32("flags"), u32("release_flags"), u64("lock_owner"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long RELEASE_FLAGS = offset(LAYOUT, "release_flags");
        static final long LOCK_OWNER = offset(LAYOUT, "lock_owner");
    }

    static final class FlushIn {
        static final StructLayout LAYOUT = struct("fuse_flush_in",
                u64("fh"), u32("unused"), u32("padding"), u64("lock_owner"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long LOCK_OWNER = offset(LAYOUT, "lock_owner");
    }

    static final class FsyncIn {
        static final StructLayout LAYOUT = struct("fuse_fsync_in", u64("fh"), u32("fsync_flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long FSYNC_FLAGS = offset(LAYOUT, "fsync_flags");
        /** FUSE_FSYNC_FDATASYNC. */
        static final int DATASYNC = 1;
    }

    static final class ForgetIn {
        static final StructLayout LAYOUT = struct("fuse_forget_in", u64("nlookup"));
        static final long SIZE = LAYOUT.byteSize();
        static final long NLOOKUP = offset(LAYOUT, "nlookup");
    }

    static final class ForgetOne {
        static final StructLayout LAYOUT = struct("fuse_forget_one", u64("nodeid"), u64("nlookup"));
        static final long SIZE = LAYOUT.byteSize();
        static final long NODEID = offset(LAYOUT, "nodeid");
        static final long NLOOKUP = offset(LAYOUT, "nlookup");
    }

    static final class BatchForgetIn {
        static final StructLayout LAYOUT = struct("fuse_batch_forget_in", u32("count"), u32("dummy"));
        static final long SIZE = LAYOUT.byteSize();
        static final long COUNT = offset(LAYOUT, "count");
    }

    /** fuse_kstatfs; fuse_statfs_out is exactly one of these. */
    static final class Kstatfs {
        static final StructLayout LAYOUT = struct("fuse_kstatfs",
                u64("blocks"), u64("bfree"), u64("bavail"), u64("files"), u64("ffree"),
                u32("bsize"), u32("namelen"), u32("frsize"), u32("padding"), u32s("spare", 6));
        static final long SIZE = LAYOUT.byteSize();
        static final long BLOCKS = offset(LAYOUT, "blocks");
        static final long BFREE = offset(LAYOUT, "bfree");
        static final long BAVAIL = offset(LAYOUT, "bavail");
        static final long FILES = offset(LAYOUT, "files");
        static final long FFREE = offset(LAYOUT, "ffree");
        static final long BSIZE = offset(LAYOUT, "bsize");
        static final long NAMELEN = offset(LAYOUT, "namelen");
        static final long FRSIZE = offset(LAYOUT, "frsize");
    }

    static final class StatfsOut {
        static final StructLayout LAYOUT = struct("fuse_statfs_out", Kstatfs.LAYOUT.withName("st"));
        static final long SIZE = LAYOUT.byteSize();
    }

    static final class AccessIn {
        static final StructLayout LAYOUT = struct("fuse_access_in", u32("mask"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long MASK = offset(LAYOUT, "mask");
    }

    static final class GetxattrIn {
        static final StructLayout LAYOUT = struct("fuse_getxattr_in", u32("size"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long BUFFER_SIZE = offset(LAYOUT, "size");
    }

    static final class GetxattrOut {
        static final StructLayout LAYOUT = struct("fuse_getxattr_out", u32("size"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long VALUE_SIZE = offset(LAYOUT, "size");
    }

    /** fuse_setxattr_in as sent unless SETXATTR_EXT was negotiated (FUSE_COMPAT_SETXATTR_IN_SIZE). */
    static final class SetxattrIn {
        static final StructLayout LAYOUT = struct("fuse_setxattr_in", u32("size"), u32("flags"));
        static final long SIZE = LAYOUT.byteSize();
        static final long VALUE_SIZE = offset(LAYOUT, "size");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    /** fuse_setxattr_in with SETXATTR_EXT. */
    static final class SetxattrInExt {
        static final StructLayout LAYOUT = struct("fuse_setxattr_in",
                u32("size"), u32("flags"), u32("setxattr_flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long SETXATTR_FLAGS = offset(LAYOUT, "setxattr_flags");
    }

    static final class IoctlIn {
        static final StructLayout LAYOUT = struct("fuse_ioctl_in",
                u64("fh"), u32("flags"), u32("cmd"), u64("arg"), u32("in_size"), u32("out_size"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long FLAGS = offset(LAYOUT, "flags");
        static final long CMD = offset(LAYOUT, "cmd");
        static final long ARG = offset(LAYOUT, "arg");
        static final long IN_SIZE = offset(LAYOUT, "in_size");
        static final long OUT_SIZE = offset(LAYOUT, "out_size");
    }

    static final class IoctlOut {
        static final StructLayout LAYOUT = struct("fuse_ioctl_out",
                u32("result"), u32("flags"), u32("in_iovs"), u32("out_iovs"));
        static final long SIZE = LAYOUT.byteSize();
        static final long RESULT = offset(LAYOUT, "result");
    }

    static final class LseekIn {
        static final StructLayout LAYOUT = struct("fuse_lseek_in",
                u64("fh"), u64("offset"), u32("whence"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OFFSET = offset(LAYOUT, "offset");
        static final long WHENCE = offset(LAYOUT, "whence");
    }

    static final class LseekOut {
        static final StructLayout LAYOUT = struct("fuse_lseek_out", u64("offset"));
        static final long SIZE = LAYOUT.byteSize();
        static final long OFFSET = offset(LAYOUT, "offset");
    }

    static final class FallocateIn {
        static final StructLayout LAYOUT = struct("fuse_fallocate_in",
                u64("fh"), u64("offset"), u64("length"), u32("mode"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OFFSET = offset(LAYOUT, "offset");
        static final long LENGTH = offset(LAYOUT, "length");
        static final long MODE = offset(LAYOUT, "mode");
    }

    static final class CopyFileRangeIn {
        static final StructLayout LAYOUT = struct("fuse_copy_file_range_in",
                u64("fh_in"), u64("off_in"), u64("nodeid_out"), u64("fh_out"), u64("off_out"),
                u64("len"), u64("flags"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH_IN = offset(LAYOUT, "fh_in");
        static final long OFF_IN = offset(LAYOUT, "off_in");
        static final long NODEID_OUT = offset(LAYOUT, "nodeid_out");
        static final long FH_OUT = offset(LAYOUT, "fh_out");
        static final long OFF_OUT = offset(LAYOUT, "off_out");
        static final long LEN = offset(LAYOUT, "len");
        static final long FLAGS = offset(LAYOUT, "flags");
    }

    static final class FuseFileLock {
        static final StructLayout LAYOUT = struct("fuse_file_lock",
                u64("start"), u64("end"), u32("type"), u32("pid"));
        static final long SIZE = LAYOUT.byteSize();
        static final long START = offset(LAYOUT, "start");
        static final long END = offset(LAYOUT, "end");
        static final long TYPE = offset(LAYOUT, "type");
        static final long PID = offset(LAYOUT, "pid");
    }

    static final class LkIn {
        static final StructLayout LAYOUT = struct("fuse_lk_in",
                u64("fh"), u64("owner"), FuseFileLock.LAYOUT.withName("lk"), u32("lk_flags"), u32("padding"));
        static final long SIZE = LAYOUT.byteSize();
        static final long FH = offset(LAYOUT, "fh");
        static final long OWNER = offset(LAYOUT, "owner");
        static final long LK = offset(LAYOUT, "lk");
        static final long LK_FLAGS = offset(LAYOUT, "lk_flags");
    }

    static final class LkOut {
        static final StructLayout LAYOUT = struct("fuse_lk_out", FuseFileLock.LAYOUT.withName("lk"));
        static final long SIZE = LAYOUT.byteSize();
    }

    static final class InterruptIn {
        static final StructLayout LAYOUT = struct("fuse_interrupt_in", u64("unique"));
        static final long SIZE = LAYOUT.byteSize();
    }

    /** The fixed part of fuse_dirent; the name follows, and the whole entry is padded to 8 bytes. */
    static final class Dirent {
        static final StructLayout LAYOUT = struct("fuse_dirent",
                u64("ino"), u64("off"), u32("namelen"), u32("type"));
        static final long SIZE = LAYOUT.byteSize();
        static final long INO = offset(LAYOUT, "ino");
        static final long OFF = offset(LAYOUT, "off");
        static final long NAMELEN = offset(LAYOUT, "namelen");
        static final long TYPE = offset(LAYOUT, "type");
    }

    /** The fixed part of fuse_direntplus: an entry_out, then a dirent whose name follows. */
    static final class Direntplus {
        static final StructLayout LAYOUT = struct("fuse_direntplus",
                EntryOut.LAYOUT.withName("entry_out"), Dirent.LAYOUT.withName("dirent"));
        static final long SIZE = LAYOUT.byteSize();
        static final long ENTRY_OUT = offset(LAYOUT, "entry_out");
        static final long DIRENT = offset(LAYOUT, "dirent");
    }

    /** FUSE_DIRENT_ALIGN: entries in a listing start on 8-byte boundaries. */
    static long direntAlign(long size) {
        return (size + Long.BYTES - 1) & -Long.BYTES;
    }
}
