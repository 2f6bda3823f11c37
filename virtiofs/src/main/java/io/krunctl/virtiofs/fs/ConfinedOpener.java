package io.krunctl.virtiofs.fs;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.FileStructs;
import java.lang.foreign.MemorySegment;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Opens a name inside the served tree without ever leaving it: one path component relative to a
 * directory descriptor, never empty, never containing '/', never "." or ".." (the FUSE server
 * rejects those already; this class checks again), never following a symlink. Where the kernel has
 * {@code openat2} (5.6), with {@code RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS} on
 * top; elsewhere {@code openat} with {@code O_NOFOLLOW}.
 */
final class ConfinedOpener {
    private static final Logger LOG = LogManager.getLogger(ConfinedOpener.class);

    private static final int PATH_FLAGS = Fcntl.O_PATH | Fcntl.O_NOFOLLOW | Fcntl.O_CLOEXEC;
    private static final long RESOLVE = FileCalls.RESOLVE_BENEATH | FileCalls.RESOLVE_NO_SYMLINKS
            | FileCalls.RESOLVE_NO_MAGICLINKS;

    private final boolean openat2;

    private ConfinedOpener(boolean openat2) {
        this.openat2 = openat2;
    }

    /** Uses {@code openat2} if the kernel opens "." of {@code rootFd} with it. */
    static ConfinedOpener probe(WorkerState w, int rootFd) {
        w.name.set(JAVA_BYTE, 0, (byte) '.');
        w.name.set(JAVA_BYTE, 1, (byte) 0);
        int fd = FileCalls.openat2(rootFd, w.name, pathHow(w));
        if (fd >= 0) {
            FileCalls.close(fd);
            return new ConfinedOpener(true);
        }
        LOG.debug("openat2 unavailable (errno {}); lookups use openat with O_NOFOLLOW", -fd);
        return new ConfinedOpener(false);
    }

    boolean usesOpenat2() {
        return openat2;
    }

    /** {@code name} as a C string in {@code buffer}, if it is one path component; EINVAL otherwise. */
    static MemorySegment component(MemorySegment buffer, Name name) throws FsException {
        if (!name.isPathComponent()) {
            throw new FsException(Errno.EINVAL);
        }
        return WorkerState.cString(buffer, name);
    }

    /** An {@code O_PATH} descriptor of the entry {@code c} of {@code dirFd}, never following it; or -errno. */
    int openPath(WorkerState w, int dirFd, MemorySegment c) {
        return openat2 ? FileCalls.openat2(dirFd, c, pathHow(w)) : FileCalls.openat(dirFd, c, PATH_FLAGS, 0);
    }

    /** Creates and opens the new file {@code c} of {@code dirFd} with {@code flags}; its descriptor or -errno. */
    int openCreate(WorkerState w, int dirFd, MemorySegment c, int flags, int mode) {
        int all = flags | Fcntl.O_CREAT | Fcntl.O_EXCL | Fcntl.O_NOFOLLOW;
        if (openat2) {
            MemorySegment how = w.how;
            how.set(JAVA_LONG, FileStructs.HOW_FLAGS, Integer.toUnsignedLong(all));
            how.set(JAVA_LONG, FileStructs.HOW_MODE, mode);
            how.set(JAVA_LONG, FileStructs.HOW_RESOLVE, RESOLVE);
            return FileCalls.openat2(dirFd, c, how);
        }
        return FileCalls.openat(dirFd, c, all, mode);
    }

    private static MemorySegment pathHow(WorkerState w) {
        MemorySegment how = w.how;
        how.set(JAVA_LONG, FileStructs.HOW_FLAGS, PATH_FLAGS);
        how.set(JAVA_LONG, FileStructs.HOW_MODE, 0);
        how.set(JAVA_LONG, FileStructs.HOW_RESOLVE, RESOLVE);
        return how;
    }
}
