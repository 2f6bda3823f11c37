package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;

import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.Statx;
import java.lang.foreign.MemorySegment;

/**
 * What a host {@code statx} tells the FUSE layer about an inode: its identity in the tree and the
 * attributes the guest sees.
 */
final class StatxDecoder {
    /** Of the descriptor itself (a symlink too), as cached as {@code stat} would be. */
    static final int FLAGS = FileCalls.AT_EMPTY_PATH | FileCalls.AT_SYMLINK_NOFOLLOW | FileCalls.AT_STATX_SYNC_AS_STAT;
    /** The mount id tells mounts inside the tree apart (kernels before 5.8 leave it out). */
    static final int MASK = FileCalls.STATX_BASIC_STATS | FileCalls.STATX_MNT_ID;

    private StatxDecoder() {
    }

    /** Fills the thread's statx buffer for {@code fd} and answers it. */
    static MemorySegment read(WorkerState w, int fd) throws FsException {
        check(FileCalls.statx(fd, w.empty, FLAGS, MASK, w.statx));
        return w.statx;
    }

    /** The file type ({@code S_IFMT} bits). */
    static int type(MemorySegment statx) {
        return Statx.mode(statx) & Linux.S_IFMT;
    }

    /** The host file's identity; the mount id is 0 on kernels without {@code STATX_MNT_ID}. */
    static InodeTable.Key key(MemorySegment statx) {
        long dev = ((long) Statx.devMajor(statx) << 32) | Integer.toUnsignedLong(Statx.devMinor(statx));
        return new InodeTable.Key(dev, Statx.ino(statx), Statx.mntId(statx));
    }

    /** The attributes FUSE sends, with {@code flags} ({@link Attr#ATTR_SUBMOUNT} or 0). */
    static Attr attr(MemorySegment statx, int flags) {
        return new Attr(
                Statx.ino(statx),
                Statx.mode(statx),
                Statx.nlink(statx),
                Statx.uid(statx),
                Statx.gid(statx),
                encodeDev(Statx.rdevMajor(statx), Statx.rdevMinor(statx)),
                Statx.size(statx),
                Statx.blocks(statx),
                Statx.blksize(statx),
                Statx.atimeSec(statx),
                Statx.atimeNsec(statx),
                Statx.mtimeSec(statx),
                Statx.mtimeNsec(statx),
                Statx.ctimeSec(statx),
                Statx.ctimeNsec(statx),
                flags);
    }

    /** The kernel's {@code new_encode_dev}: the 32-bit device number FUSE carries in {@code rdev}. */
    static int encodeDev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }
}
