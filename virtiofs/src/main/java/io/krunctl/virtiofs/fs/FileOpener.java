package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.virtiofs.fs.HandleTable.OpenFile;

/**
 * How a guest's open of an inode reaches the host, and what the guest may keep cached of it: the
 * host open flags for the guest's, the reopening of the inode through its {@code /proc/self/fd}
 * link, and the FOPEN flags of the reply under the {@link CachePolicy}.
 */
final class FileOpener {
    /**
     * Open flags never passed on: creating is CREATE's job, a terminal never becomes ours,
     * {@code O_DIRECT} would impose its alignment on guest buffers, {@code O_NOFOLLOW} would refuse
     * the {@code /proc/self/fd} link itself, and {@code O_PATH}/{@code O_TMPFILE} are not opens of
     * this file.
     */
    private static final int DROPPED = Fcntl.O_CREAT | Fcntl.O_EXCL | Fcntl.O_NOCTTY
            | Fcntl.O_DIRECT | Fcntl.O_NOFOLLOW | Fcntl.O_PATH | Fcntl.O_TMPFILE_BIT;
    private static final int NEG_EACCES = -Errno.EACCES.code();

    private final HandleTable handles;
    /** {@code O_PATH} descriptor of {@code /proc/self/fd}. */
    private final int procSelfFd;
    private final CachePolicy cache;
    private final int fileFlags;
    private final int directoryFlags;
    private volatile boolean writeback;

    FileOpener(HandleTable handles, int procSelfFd, CachePolicy cache) {
        this.handles = handles;
        this.procSelfFd = procSelfFd;
        this.cache = cache;
        this.fileFlags = switch (cache) {
            case NEVER -> OpenResult.DIRECT_IO;
            case AUTO -> 0;
            case ALWAYS -> OpenResult.KEEP_CACHE;
        };
        this.directoryFlags = cache == CachePolicy.ALWAYS ? OpenResult.CACHE_DIR | OpenResult.KEEP_CACHE : 0;
    }

    /** Whether the guest caches writes ({@link PassthroughConfig#writeback()}), as INIT settled. */
    void writeback(boolean on) {
        writeback = on;
    }

    /** The FOPEN flags of a file the guest just created. */
    int createdFlags() {
        return fileFlags;
    }

    /** The FOPEN flags of a directory the guest opened. */
    int directoryFlags() {
        return directoryFlags;
    }

    /**
     * Opens {@code in} for I/O through its {@code /proc/self/fd} link, under a new guest handle.
     * Only regular files and directories: the link of a symlink inode would be followed, and a
     * device, FIFO or socket the guest made (or found) in the tree must never be opened on the host.
     */
    OpenFile reopen(WorkerState w, InodeTable.Lease in, int guestFlags) throws FsException {
        if (in.is(Linux.S_IFLNK)) {
            throw new FsException(Errno.ELOOP);
        }
        if (!in.is(Linux.S_IFREG) && !in.is(Linux.S_IFDIR)) {
            throw new FsException(Errno.ENXIO);
        }
        int flags = hostFlags(guestFlags);
        int fd = FileCalls.openat(procSelfFd, w.fdName(in.fd()), flags, 0);
        if (fd == NEG_EACCES && flags != baseFlags(guestFlags)) {
            // Writeback's read-write upgrade of a write-only open needs read permission, which only
            // root is sure to have; the guest asked for less.
            flags = baseFlags(guestFlags);
            fd = FileCalls.openat(procSelfFd, w.fdName(in.fd()), flags, 0);
        }
        check(fd);
        return handles.add(fd, flags);
    }

    /**
     * The FOPEN flags for {@code in}, just opened as {@code fd}. Under {@link CachePolicy#AUTO} a
     * regular file the host left unchanged since the guest last opened it keeps the guest's cached
     * pages ({@code FOPEN_KEEP_CACHE}): without it the guest kernel drops them on every open, and a
     * program started a hundred times is read from the host a hundred times. A changed file is opened
     * without it, which drops them.
     */
    int openedFlags(WorkerState w, InodeTable.Lease in, int fd) throws FsException {
        if (cache != CachePolicy.AUTO || !in.is(Linux.S_IFREG)) {
            return fileFlags;
        }
        long now = System.currentTimeMillis();
        DataVersion version = DataVersion.of(StatxDecoder.read(w, fd));
        return in.inode().reopenedUnchanged(version, version.settledBy(now)) ? OpenResult.KEEP_CACHE : fileFlags;
    }

    /** The guest's open flags as the host gets them; see {@link PassthroughConfig#writeback()}. */
    int hostFlags(int guestFlags) {
        int flags = baseFlags(guestFlags);
        if (writeback) {
            if ((flags & Fcntl.O_ACCMODE) == Fcntl.O_WRONLY) {
                flags = (flags & ~Fcntl.O_ACCMODE) | Fcntl.O_RDWR;
            }
            flags &= ~Fcntl.O_APPEND;
        }
        return flags;
    }

    private static int baseFlags(int guestFlags) {
        return (guestFlags & ~DROPPED) | Fcntl.O_CLOEXEC;
    }
}
