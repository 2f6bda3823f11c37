package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.Statx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What SETATTR changes on a host inode (owner, mode, size, times), and the set-id bits and file
 * capability HANDLE_KILLPRIV_V2 asks the server to clear. An inode is an {@code O_PATH} descriptor, which takes
 * some of these calls directly ({@code AT_EMPTY_PATH}); the others go through an open file of the
 * guest's or the inode's {@code /proc/self/fd} link, never for a symlink, whose link would be followed.
 */
final class AttributeChanges {
    private static final int S_ISUID = 04000;
    private static final int S_ISGID = 02000;
    private static final int S_IXGRP = 00010;
    private static final int NEG_EINVAL = -Errno.EINVAL.code();
    private static final int NEG_EOPNOTSUPP = -Errno.EOPNOTSUPP.code();
    private static final int NEG_ENODATA = -Errno.ENODATA.code();
    /** The host name of the guest's {@code security.capability}, as a C string. */
    private static final MemorySegment CAPABILITY = Arena.global().allocateFrom(
            XattrNames.toHost(Name.of("security.capability")).toString());

    /** {@code O_PATH} descriptor of {@code /proc/self/fd}. */
    private final int procSelfFd;

    AttributeChanges(int procSelfFd) {
        this.procSelfFd = procSelfFd;
    }

    /** Applies {@code changes} to {@code in}, through {@code file} if the guest named an open one (else null). */
    void apply(WorkerState w, InodeTable.Lease in, HandleTable.Lease file, SetAttr changes) throws FsException {
        int fd = file != null ? file.fd() : -1;
        if (changes.has(SetAttr.UID) || changes.has(SetAttr.GID)) {
            int uid = changes.has(SetAttr.UID) ? changes.uid() : -1;
            int gid = changes.has(SetAttr.GID) ? changes.gid() : -1;
            check(fd >= 0 ? FileCalls.fchown(fd, uid, gid)
                    : FileCalls.fchownat(in.fd(), w.empty, uid, gid, FileCalls.AT_EMPTY_PATH));
        }
        // After the owner: a chown clears set-id bits, and a mode the guest sends with it wins.
        if (changes.has(SetAttr.MODE)) {
            int mode = changes.mode() & Linux.PERMISSION_BITS;
            check(fd >= 0 ? FileCalls.fchmod(fd, mode) : chmod(w, in, mode));
        }
        if (changes.has(SetAttr.SIZE)) {
            if (!in.is(Linux.S_IFREG)) {
                throw new FsException(in.is(Linux.S_IFDIR) ? Errno.EISDIR : Errno.EINVAL);
            }
            boolean writable = file != null && (file.flags() & Fcntl.O_ACCMODE) != Fcntl.O_RDONLY;
            check(writable ? FileCalls.ftruncate(fd, changes.size())
                    : FileCalls.truncate(w.procPath(in.fd()), changes.size()));
        }
        // HANDLE_KILLPRIV_V2: the guest flags truncations by callers without CAP_FSETID and every
        // chown of a non-directory. A root chown has cleared the bits on the host already; a
        // truncation has not. A mode sent in the same request is the guest's own result and stands.
        if (changes.has(SetAttr.KILL_SUIDGID) && in.is(Linux.S_IFREG)) {
            if (!changes.has(SetAttr.MODE)) {
                killSuidGid(w, in, fd);
            }
            dropCapability(w, in, fd);
        }
        if (changes.has(SetAttr.ATIME) || changes.has(SetAttr.MTIME) || changes.has(SetAttr.ATIME_NOW)
                || changes.has(SetAttr.MTIME_NOW)) {
            MemorySegment t = w.times;
            time(t, 0, changes.has(SetAttr.ATIME_NOW), changes.has(SetAttr.ATIME), changes.atime(),
                    changes.atimeNanos());
            time(t, 16, changes.has(SetAttr.MTIME_NOW), changes.has(SetAttr.MTIME), changes.mtime(),
                    changes.mtimeNanos());
            check(fd >= 0 ? FileCalls.futimens(fd, t) : utimes(w, in, t));
        }
        // CTIME: Linux sets a file's change time itself on every change above; nothing to do.
    }

    /**
     * Clears set-user-id, and set-group-id if group-executable (the kernel's own rule), as
     * HANDLE_KILLPRIV_V2 asks of the server after a write or truncation by an unprivileged caller.
     * {@code in} may be null when {@code fd} is an open file.
     */
    void killSuidGid(WorkerState w, InodeTable.Lease in, int fd) throws FsException {
        check(FileCalls.statx(fd >= 0 ? fd : in.fd(), w.empty, StatxDecoder.FLAGS, FileCalls.STATX_MODE, w.statx));
        int mode = Statx.mode(w.statx);
        int kept = mode & ~S_ISUID;
        if ((mode & S_IXGRP) != 0) {
            kept &= ~S_ISGID;
        }
        if (kept != mode) {
            int bits = kept & Linux.PERMISSION_BITS;
            check(fd >= 0 ? FileCalls.fchmod(fd, bits) : chmod(w, in, bits));
        }
    }

    /**
     * What the guest's flag asks of the server after a write, truncation or chown of a regular file
     * by an unprivileged caller: {@link #killSuidGid} and {@link #dropCapability}. {@code in} may
     * be null when {@code fd} is an open file.
     */
    void killPrivileges(WorkerState w, InodeTable.Lease in, int fd) throws FsException {
        killSuidGid(w, in, fd);
        dropCapability(w, in, fd);
    }

    /**
     * Removes the guest's file capability ({@code security.capability}, stored under its mapped
     * name, see {@link XattrNames}). Linux drops a file's capabilities when the file is written,
     * truncated or chowned; the host kernel still does so for a host {@code security.capability},
     * but the mapped name is an ordinary user attribute to it. Where the guest kernel does this
     * itself (writes through its page cache; truncations, truncating opens and chowns through its
     * setattr) it sends REMOVEXATTR; direct I/O writes it leaves to the server, flagged for
     * HANDLE_KILLPRIV_V2 when the writer lacks {@code CAP_FSETID}. This runs on every flagged
     * request, as virtiofsd does for a remapped capability. A getxattr first, so that the common
     * case, no capability, writes nothing to the host inode. {@code in} may be null when
     * {@code fd} is an open file.
     */
    void dropCapability(WorkerState w, InodeTable.Lease in, int fd) throws FsException {
        MemorySegment path = w.procPath(fd >= 0 ? fd : in.fd());
        long n = FileCalls.getxattr(path, CAPABILITY, MemorySegment.NULL);
        if (n == NEG_ENODATA || n == NEG_EOPNOTSUPP) {
            return;
        }
        check(n);
        int r = FileCalls.removexattr(path, CAPABILITY);
        if (r != NEG_ENODATA) {
            check(r);
        }
    }

    /** One {@code struct timespec} of {@code utimensat}'s pair at {@code at}. */
    private static void time(MemorySegment t, long at, boolean now, boolean set, long seconds, int nanos) {
        if (now) {
            t.set(JAVA_LONG, at, 0);
            t.set(JAVA_LONG, at + 8, FileCalls.UTIME_NOW);
        } else if (set) {
            t.set(JAVA_LONG, at, seconds);
            t.set(JAVA_LONG, at + 8, Integer.toUnsignedLong(nanos));
        } else {
            t.set(JAVA_LONG, at, 0);
            t.set(JAVA_LONG, at + 8, FileCalls.UTIME_OMIT);
        }
    }

    /**
     * utimensat of an inode itself (a symlink too) with {@code AT_EMPTY_PATH}; kernels before 5.8
     * refuse that flag here, and then a non-symlink goes through its /proc link.
     */
    private int utimes(WorkerState w, InodeTable.Lease in, MemorySegment times) {
        int r = FileCalls.utimensat(in.fd(), w.empty, times, FileCalls.AT_EMPTY_PATH | FileCalls.AT_SYMLINK_NOFOLLOW);
        if (r == NEG_EINVAL && !in.is(Linux.S_IFLNK)) {
            r = FileCalls.utimensat(procSelfFd, w.fdName(in.fd()), times, 0);
        }
        return r;
    }

    /** chmod of an inode without an open file: through its /proc link, never for a symlink. */
    private int chmod(WorkerState w, InodeTable.Lease in, int mode) {
        if (in.is(Linux.S_IFLNK)) {
            return NEG_EOPNOTSUPP;
        }
        return FileCalls.fchmodat(procSelfFd, w.fdName(in.fd()), mode, 0);
    }
}
