package io.krunctl.virtiofs.fuse;

import static io.krunctl.virtiofs.fuse.FuseStructs.putInt;
import static io.krunctl.virtiofs.fuse.FuseStructs.putLong;

import io.krunctl.virtiofs.fs.Attr;
import io.krunctl.virtiofs.fs.AttrReply;
import io.krunctl.virtiofs.fs.DirEntry;
import io.krunctl.virtiofs.fs.Entry;
import io.krunctl.virtiofs.fs.FileLock;
import io.krunctl.virtiofs.fs.OpenResult;
import io.krunctl.virtiofs.fs.StatFs;
import io.krunctl.virtiofs.fuse.FuseStructs.AttrOut;
import io.krunctl.virtiofs.fuse.FuseStructs.Dirent;
import io.krunctl.virtiofs.fuse.FuseStructs.EntryOut;
import io.krunctl.virtiofs.fuse.FuseStructs.FuseAttr;
import io.krunctl.virtiofs.fuse.FuseStructs.FuseFileLock;
import io.krunctl.virtiofs.fuse.FuseStructs.Kstatfs;
import io.krunctl.virtiofs.fuse.FuseStructs.LkOut;
import io.krunctl.virtiofs.fuse.FuseStructs.OpenOut;
import io.krunctl.virtiofs.fuse.FuseStructs.StatfsOut;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** Turns the filesystem's answers into FUSE reply structs (fresh heap segments, then copied out). */
final class Encode {
    private Encode() {
    }

    static MemorySegment allocate(long size) {
        return MemorySegment.ofArray(new byte[Math.toIntExact(size)]);
    }

    static void attr(MemorySegment s, long base, Attr a) {
        putLong(s, base + FuseAttr.INO, a.inode());
        putLong(s, base + FuseAttr.FILE_SIZE, a.size());
        putLong(s, base + FuseAttr.BLOCKS, a.blocks());
        putLong(s, base + FuseAttr.ATIME, a.atime());
        putLong(s, base + FuseAttr.MTIME, a.mtime());
        putLong(s, base + FuseAttr.CTIME, a.ctime());
        putInt(s, base + FuseAttr.ATIMENSEC, a.atimeNanos());
        putInt(s, base + FuseAttr.MTIMENSEC, a.mtimeNanos());
        putInt(s, base + FuseAttr.CTIMENSEC, a.ctimeNanos());
        putInt(s, base + FuseAttr.MODE, a.mode());
        putInt(s, base + FuseAttr.NLINK, a.nlink());
        putInt(s, base + FuseAttr.UID, a.uid());
        putInt(s, base + FuseAttr.GID, a.gid());
        putInt(s, base + FuseAttr.RDEV, a.rdev());
        putInt(s, base + FuseAttr.BLKSIZE, a.blksize());
        putInt(s, base + FuseAttr.FLAGS, a.flags());
    }

    static void entryOut(MemorySegment s, long base, Entry e) {
        putLong(s, base + EntryOut.NODEID, e.inode());
        putLong(s, base + EntryOut.GENERATION, e.generation());
        putLong(s, base + EntryOut.ENTRY_VALID, seconds(e.entryTimeout()));
        putLong(s, base + EntryOut.ATTR_VALID, seconds(e.attrTimeout()));
        putInt(s, base + EntryOut.ENTRY_VALID_NSEC, e.entryTimeout().getNano());
        putInt(s, base + EntryOut.ATTR_VALID_NSEC, e.attrTimeout().getNano());
        attr(s, base + EntryOut.ATTR, e.attr());
    }

    static MemorySegment entryOut(Entry e) {
        MemorySegment s = allocate(EntryOut.SIZE);
        entryOut(s, 0, e);
        return s;
    }

    static MemorySegment attrOut(AttrReply r) {
        MemorySegment s = allocate(AttrOut.SIZE);
        putLong(s, AttrOut.ATTR_VALID, seconds(r.timeout()));
        putInt(s, AttrOut.ATTR_VALID_NSEC, r.timeout().getNano());
        attr(s, AttrOut.ATTR, r.attr());
        return s;
    }

    static MemorySegment openOut(OpenResult o) {
        MemorySegment s = allocate(OpenOut.SIZE);
        putLong(s, OpenOut.FH, o.handle());
        putInt(s, OpenOut.OPEN_FLAGS, o.openFlags());
        return s;
    }

    static MemorySegment statfsOut(StatFs st) {
        MemorySegment s = allocate(StatfsOut.SIZE);
        putLong(s, Kstatfs.BLOCKS, st.blocks());
        putLong(s, Kstatfs.BFREE, st.blocksFree());
        putLong(s, Kstatfs.BAVAIL, st.blocksAvailable());
        putLong(s, Kstatfs.FILES, st.files());
        putLong(s, Kstatfs.FFREE, st.filesFree());
        putInt(s, Kstatfs.BSIZE, st.blockSize());
        putInt(s, Kstatfs.NAMELEN, st.maxNameLength());
        putInt(s, Kstatfs.FRSIZE, st.fragmentSize());
        return s;
    }

    static MemorySegment lkOut(FileLock lock) {
        MemorySegment s = allocate(LkOut.SIZE);
        putLong(s, FuseFileLock.START, lock.start());
        putLong(s, FuseFileLock.END, lock.end());
        putInt(s, FuseFileLock.TYPE, lock.type());
        putInt(s, FuseFileLock.PID, lock.pid());
        return s;
    }

    /** A struct of one u32 followed by padding (fuse_write_out, fuse_getxattr_out). */
    static MemorySegment u32Struct(long size, int value) {
        MemorySegment s = allocate(size);
        putInt(s, 0, value);
        return s;
    }

    /** A struct of one u64 (fuse_lseek_out). */
    static MemorySegment u64Struct(long value) {
        MemorySegment s = allocate(Long.BYTES);
        putLong(s, 0, value);
        return s;
    }

    static void dirent(MemorySegment s, long base, DirEntry e) {
        putLong(s, base + Dirent.INO, e.inode());
        putLong(s, base + Dirent.OFF, e.offset());
        putInt(s, base + Dirent.NAMELEN, e.name().length());
        putInt(s, base + Dirent.TYPE, e.type());
        e.name().copyTo(s, base + Dirent.SIZE);
    }

    private static long seconds(Duration d) {
        return d.getSeconds();
    }
}
