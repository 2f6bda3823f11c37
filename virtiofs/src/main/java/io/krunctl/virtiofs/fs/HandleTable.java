package io.krunctl.virtiofs.fs;

import io.krunctl.nativeio.FileCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The files and directories a {@link PassthroughFs} has open for the guest, by FUSE handle.
 *
 * <p>Like {@link InodeTable}, each open file counts the guest's handle plus the requests using it
 * right now, and its descriptor is closed only when both are gone: a RELEASE racing with a READ on
 * the same handle never lets the read reach a recycled descriptor number. Thread-safe.
 */
final class HandleTable {

    /** One open file description of the host, opened for the guest. */
    static final class OpenFile {
        final long id;
        final int fd;
        /** The host open flags actually used. */
        final int flags;
        final AtomicLong refs = new AtomicLong(1);
        /**
         * Directories only, guarded by the object's monitor: the offset the descriptor's position
         * stands at after the last listing, or -1 when unknown. Listings continue from where the
         * last one stopped without an lseek.
         */
        long dirPosition = -1;

        OpenFile(long id, int fd, int flags) {
            this.id = id;
            this.fd = fd;
            this.flags = flags;
        }

        boolean tryRef() {
            long c;
            do {
                c = refs.get();
                if (c <= 0) {
                    return false;
                }
            } while (!refs.compareAndSet(c, c + 1));
            return true;
        }
    }

    private final ConcurrentHashMap<Long, OpenFile> open = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);
    private final DescriptorBudget budget;

    HandleTable(DescriptorBudget budget) {
        this.budget = budget;
    }

    /**
     * Takes ownership of {@code fd} and answers its new handle.
     *
     * @throws FsException EMFILE, with {@code fd} closed, if the filesystem holds all the descriptors
     *                     its budget allows
     */
    OpenFile add(int fd, int flags) throws FsException {
        if (!budget.tryTake()) {
            FileCalls.close(fd);
            throw new FsException(Errno.EMFILE);
        }
        OpenFile file = new OpenFile(next.getAndIncrement(), fd, flags);
        open.put(file.id, file);
        return file;
    }

    /**
     * The open file {@code handle} held for one request, as a lease to close when the request is
     * done ({@code try (var file = handles.pin(handle))}); EBADF if unknown.
     */
    Lease pin(long handle) throws FsException {
        OpenFile file = open.get(handle);
        if (file == null || !file.tryRef()) {
            throw new FsException(Errno.EBADF);
        }
        return new Lease(file);
    }

    /**
     * One request's use of an open file: its descriptor stays open until the lease is closed, even
     * if the guest releases the handle meanwhile. Confined to the request's thread; closing twice
     * releases once.
     */
    final class Lease implements AutoCloseable {
        private final OpenFile file;
        private boolean closed;

        private Lease(OpenFile file) {
            this.file = file;
        }

        OpenFile file() {
            return file;
        }

        /** The file's descriptor, valid until {@link #close()}. */
        int fd() {
            return file.fd;
        }

        /** The host open flags actually used. */
        int flags() {
            return file.flags;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(file);
            }
        }
    }

    private void release(OpenFile file) {
        if (file.refs.decrementAndGet() == 0) {
            FileCalls.close(file.fd);
            budget.give();
        }
    }

    /** The guest closed {@code handle}; EBADF if it was not open. */
    void remove(long handle) throws FsException {
        OpenFile file = open.remove(handle);
        if (file == null) {
            throw new FsException(Errno.EBADF);
        }
        release(file);
    }

    /** Drops every handle (the guest unmounted); requests still using one finish first. */
    void removeAll() {
        for (OpenFile file : new ArrayList<>(open.values())) {
            if (open.remove(file.id, file)) {
                release(file);
            }
        }
    }

    /** The number of open handles; for tests. */
    int size() {
        return open.size();
    }

    /** The descriptors of every open handle; for tests. */
    List<Integer> descriptors() {
        return open.values().stream().map(f -> f.fd).toList();
    }
}
