package io.krunctl.virtiofs.fs;

import io.krunctl.nativeio.FileCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The inodes a {@link PassthroughFs} has handed to the guest: each one an {@code O_PATH} descriptor,
 * found by its FUSE node id and by the host file's identity (device, inode number, mount id), so two
 * names of one file (hard links) are one inode for the guest.
 *
 * <h2>Reference counting</h2>
 * Each inode counts two things. {@code lookups} are the guest's references (one per lookup-like
 * answer), returned through FORGET. {@code refs} is what keeps the descriptor open: every guest
 * lookup plus every operation using the descriptor right now. A guest that forgets an inode while one
 * of its own requests still uses it (a race only a broken or hostile guest makes) cannot get the
 * descriptor closed under that request, where the number could already name another file; and it
 * cannot forget more than it was given. The descriptor is closed when {@code refs} reaches zero, and
 * an inode is never revived from zero: a lookup racing with the last forget makes a new one.
 * Thread-safe and lock-free.
 */
final class InodeTable {

    /** The host file's identity. {@code mnt} is 0 on kernels without {@code STATX_MNT_ID}. */
    record Key(long dev, long ino, long mnt) {
    }

    /** One inode: an {@code O_PATH|O_NOFOLLOW} descriptor and what never changes about the file. */
    static final class Inode {
        final long id;
        final int fd;
        /** The {@code S_IFMT} bits: a file's type never changes. */
        final int type;
        final Key key;
        final AtomicLong refs;
        final AtomicLong lookups;
        /** The data the guest read after its last open; null before the first. */
        private final AtomicReference<DataVersion> opened = new AtomicReference<>();

        Inode(long id, int fd, int type, Key key, long refs, long lookups) {
            this.id = id;
            this.fd = fd;
            this.type = type;
            this.key = key;
            this.refs = new AtomicLong(refs);
            this.lookups = new AtomicLong(lookups);
        }

        boolean is(int fileType) {
            return type == fileType;
        }

        /**
         * The guest opens the file, whose data is now at {@code version}: true if that is the version
         * it opened last time, so whatever the guest kept of the file in its page cache is still the
         * host's data. A version that has not {@link DataVersion#settledBy settled} is not
         * remembered: the next change could leave it looking the same. The guest's own writes change
         * the version too; that costs it its cache, never correctness.
         */
        boolean reopenedUnchanged(DataVersion version, boolean settled) {
            return version.equals(opened.getAndSet(settled ? version : null));
        }

        /** One more reference, unless the inode is already dead (zero references); never revives. */
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

    private final ConcurrentHashMap<Long, Inode> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Inode> byKey = new ConcurrentHashMap<>();
    private final InodeAllocator allocator;
    private final DescriptorBudget budget;
    private final Inode root;

    /**
     * Takes ownership of {@code rootFd}; the root is never forgotten, and its descriptor is the
     * filesystem's own, outside {@code budget}.
     */
    InodeTable(InodeAllocator allocator, int rootFd, Key rootKey, DescriptorBudget budget) {
        this.allocator = allocator;
        this.budget = budget;
        this.root = new Inode(InodeAllocator.ROOT_ID, rootFd, Linux.S_IFDIR, rootKey, 1, 0);
        byId.put(root.id, root);
        byKey.put(rootKey, root);
    }

    Inode root() {
        return root;
    }

    /**
     * The inode {@code id} held for one request, as a lease to close when the request is done
     * ({@code try (var dir = inodes.pin(parent))}); EBADF for a node id the guest does not hold.
     */
    Lease pin(long id) throws FsException {
        Inode inode = byId.get(id);
        if (inode == null || !inode.tryRef()) {
            throw new FsException(Errno.EBADF);
        }
        return new Lease(inode);
    }

    /**
     * One request's use of an inode: its descriptor stays open until the lease is closed, whatever
     * the guest forgets meanwhile. Confined to the request's thread; closing twice releases once.
     */
    final class Lease implements AutoCloseable {
        private final Inode inode;
        private boolean closed;

        private Lease(Inode inode) {
            this.inode = inode;
        }

        Inode inode() {
            return inode;
        }

        /** The inode's {@code O_PATH} descriptor, valid until {@link #close()}. */
        int fd() {
            return inode.fd;
        }

        boolean is(int fileType) {
            return inode.is(fileType);
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                unref(inode, 1);
            }
        }
    }

    /**
     * A lookup found {@code fd} (an {@code O_PATH} descriptor the table now owns) with identity
     * {@code key}: answers the inode holding that file with one more guest reference, closing
     * {@code fd} if the file already had one.
     *
     * @throws FsException ENFILE, with {@code fd} closed, if a new inode would take a descriptor
     *                     beyond the budget
     */
    Inode found(int fd, int type, Key key) throws FsException {
        while (true) {
            Inode existing = byKey.get(key);
            if (existing != null) {
                if (existing.tryRef()) {
                    existing.lookups.incrementAndGet();
                    FileCalls.close(fd);
                    return existing;
                }
                // Dying: its last reference is being dropped. Clear the way and make a new one.
                byKey.remove(key, existing);
                continue;
            }
            if (!budget.tryTake()) {
                FileCalls.close(fd);
                throw new FsException(Errno.ENFILE);
            }
            Inode fresh = new Inode(allocator.next(), fd, type, key, 1, 1);
            // Reachable by id before by key: whoever finds it by key may hand the id to the guest.
            byId.put(fresh.id, fresh);
            if (byKey.putIfAbsent(key, fresh) == null) {
                return fresh;
            }
            byId.remove(fresh.id, fresh);
            budget.give();
        }
    }

    /** The guest returns {@code count} references; more than it holds are ignored. */
    void forget(long id, long count) {
        if (count <= 0) {
            return;
        }
        Inode inode = byId.get(id);
        if (inode == null) {
            return;
        }
        long held;
        long left;
        do {
            held = inode.lookups.get();
            left = Math.max(0, held - count);
        } while (!inode.lookups.compareAndSet(held, left));
        long dropped = held - left;
        if (dropped > 0) {
            unref(inode, dropped);
        }
    }

    /** Drops every guest reference (the guest unmounted); in-flight uses finish first. The root stays. */
    void forgetAll() {
        for (Inode inode : List.copyOf(byId.values())) {
            forget(inode.id, Long.MAX_VALUE);
        }
    }

    /**
     * Ends the table: drops every guest reference and the table's own hold on the root, so each
     * descriptor is closed now, or by the last request still using it (a request the device gave up
     * waiting for when it stopped must not find its descriptor number given to another file).
     */
    void closeAll() {
        forgetAll();
        unref(root, 1);
    }

    /** The number of live inodes, the root included; for tests. */
    int size() {
        return byId.size();
    }

    private void unref(Inode inode, long count) {
        if (inode.refs.addAndGet(-count) == 0) {
            byKey.remove(inode.key, inode);
            byId.remove(inode.id, inode);
            FileCalls.close(inode.fd);
            if (inode != root) {
                budget.give();
            }
        }
    }
}
