package io.krunctl.virtiofs.fs;

import static io.krunctl.virtiofs.fs.HostCall.check;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.krunctl.nativeio.Fcntl;
import io.krunctl.nativeio.FileCalls;
import io.krunctl.nativeio.FileStructs;
import io.krunctl.virtiofs.fs.HandleTable.OpenFile;
import java.lang.foreign.MemorySegment;

/**
 * How {@link PassthroughFs} lists a host directory: {@code getdents64} records read from the
 * guest's offset (a {@code d_off} cookie of the host's) and handed out as {@link DirEntry}s, from
 * the directory the guest opened or, for handle-less directories, one opened for the request.
 */
final class DirectoryListing {
    /** The handle the guest sends for a directory it never opened (handle-less directories). */
    static final long NO_HANDLE = 0;
    static final int OPEN_FLAGS = Fcntl.O_RDONLY | Fcntl.O_DIRECTORY | Fcntl.O_CLOEXEC;
    /** getdents64 buffer per READDIR (the guest asks a page or more; entries left over are re-read). */
    static final int READDIR_BUFFER = 8192;
    /**
     * Smaller for READDIRPLUS, whose entries are six times larger on the wire: a page of reply holds
     * about 26, and so does 1 KiB of short host entries (one of the longest names, 280 bytes, always
     * fits). A larger buffer would make every call re-read most of a big directory's remainder.
     */
    static final int READDIRPLUS_BUFFER = 1024;

    /** Takes the entries of a listing one by one; false when it is full. */
    interface Lister {
        boolean add(WorkerState w, DirEntry entry) throws FsException;
    }

    private final HandleTable handles;
    /** {@code O_PATH} descriptor of {@code /proc/self/fd}: directories are reopened relative to it. */
    private final int procSelfFd;

    DirectoryListing(HandleTable handles, int procSelfFd) {
        this.handles = handles;
        this.procSelfFd = procSelfFd;
    }

    /** OPENDIR: opens {@code dir} for reading under a new guest handle, which the answer is. */
    long openHandle(InodeTable.Lease dir) throws FsException {
        int fd = reopen(dir);
        check(fd);
        return handles.add(fd, OPEN_FLAGS).id;
    }

    /**
     * The open directory a listing or sync of {@code dir} reads: the guest's {@code handle}, or with
     * {@link #NO_HANDLE} a descriptor opened for this one request. Close it when the request is done.
     */
    OpenDirectory open(InodeTable.Lease dir, long handle) throws FsException {
        if (handle != NO_HANDLE) {
            HandleTable.Lease lease = handles.pin(handle);
            return new OpenDirectory(lease.file(), lease);
        }
        if (!dir.is(Linux.S_IFDIR)) {
            throw new FsException(Errno.ENOTDIR);
        }
        int fd = reopen(dir);
        check(fd);
        OpenFile file = new OpenFile(NO_HANDLE, fd, OPEN_FLAGS);
        file.dirPosition = 0;
        return new OpenDirectory(file, null);
    }

    private int reopen(InodeTable.Lease dir) {
        return FileCalls.openat(procSelfFd, WorkerState.current().fdName(dir.fd()), OPEN_FLAGS, 0);
    }

    /** A directory open for one request; closing gives back the guest's handle or closes our own. */
    static final class OpenDirectory implements AutoCloseable {
        private final OpenFile file;
        /** The guest's handle, held for this request; null for a descriptor of our own. */
        private final HandleTable.Lease lease;
        private boolean closed;

        private OpenDirectory(OpenFile file, HandleTable.Lease lease) {
            this.file = file;
            this.lease = lease;
        }

        int fd() {
            return file.fd;
        }

        /**
         * Lists from {@code offset} (0 for the start) into {@code lister} until it is full or the
         * directory ends. One listing at a time per handle: the descriptor's position is shared.
         */
        void list(long offset, int bufferSize, Lister lister) throws FsException {
            WorkerState w = WorkerState.current();
            synchronized (file) {
                if (file.dirPosition != offset) {
                    check(FileCalls.lseek(file.fd, offset, Fcntl.SEEK_SET));
                    file.dirPosition = offset;
                }
                MemorySegment buffer = w.dirents(bufferSize);
                while (true) {
                    long n = check(FileCalls.getdents64(file.fd, buffer));
                    if (n == 0) {
                        return;
                    }
                    long last = file.dirPosition;
                    for (long at = 0; at < n; ) {
                        int length = Short.toUnsignedInt(buffer.get(JAVA_SHORT, at + FileStructs.D_RECLEN));
                        long next = buffer.get(JAVA_LONG, at + FileStructs.D_OFF);
                        DirEntry entry = new DirEntry(buffer.get(JAVA_LONG, at + FileStructs.D_INO), next,
                                Byte.toUnsignedInt(buffer.get(JAVA_BYTE, at + FileStructs.D_TYPE)),
                                name(buffer, at + FileStructs.D_NAME, at + length));
                        if (!lister.add(w, entry)) {
                            // The descriptor is past entries the guest did not get; it will ask from `last`.
                            file.dirPosition = -1;
                            return;
                        }
                        last = next;
                        at += length;
                    }
                    file.dirPosition = last;
                }
            }
        }

        private static Name name(MemorySegment buffer, long from, long end) {
            long to = from;
            while (to < end && buffer.get(JAVA_BYTE, to) != 0) {
                to++;
            }
            return Name.of(buffer.asSlice(from, to - from).toArray(JAVA_BYTE));
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (lease != null) {
                lease.close();
            } else {
                FileCalls.close(file.fd);
            }
        }
    }
}
