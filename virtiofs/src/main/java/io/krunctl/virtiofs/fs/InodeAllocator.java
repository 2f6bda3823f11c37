package io.krunctl.virtiofs.fs;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands out inode numbers for one virtio-fs device. Every layer of that device (the inner filesystem
 * and the {@link AugmentFs} above it) draws from the same allocator, so their numbers never collide.
 * Thread-safe.
 */
public final class InodeAllocator {
    /** FUSE_ROOT_ID: the root directory. 0 is never a valid inode. */
    public static final long ROOT_ID = 1;

    private final AtomicLong next = new AtomicLong(ROOT_ID + 1);

    /** A number never returned before by this allocator. */
    public long next() {
        long inode = next.getAndIncrement();
        if (inode < ROOT_ID + 1) {
            throw new IllegalStateException("inode numbers exhausted");
        }
        return inode;
    }
}
