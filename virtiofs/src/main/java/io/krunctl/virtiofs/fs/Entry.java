package io.krunctl.virtiofs.fs;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to a successful lookup (or mknod, mkdir, symlink, link, create): an inode the guest now
 * holds one more reference to, its attributes, and how long the guest may trust the name and the
 * attributes.
 *
 * @param inode      the node id; 0 means "no inode" (only meaningful inside readdirplus)
 * @param generation distinguishes reuses of one inode number over the life of the mount
 */
public record Entry(long inode, long generation, Attr attr, Duration entryTimeout, Duration attrTimeout) {

    /**
     * "Never expires" for the kernel. FUSE carries seconds as a u64, but the kernel converts them
     * through a signed 64-bit timespec and rounds nanoseconds up into the seconds, so u64-max (or
     * {@code Duration.MAX}-like values with nanoseconds) can wrap around to an almost immediate expiry.
     * Half of {@code Long.MAX_VALUE} seconds with zero nanoseconds is clamped by the kernel to its own
     * maximum instead.
     */
    public static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE / 2);

    /** A readdirplus entry that lists a name without handing the guest an inode reference. */
    public static final Entry NONE = new Entry(0, 0, Attr.NONE, Duration.ZERO, Duration.ZERO);

    public Entry {
        Objects.requireNonNull(attr, "attr");
        requireTimeout(entryTimeout, "entryTimeout");
        requireTimeout(attrTimeout, "attrTimeout");
    }

    static void requireTimeout(Duration timeout, String what) {
        Objects.requireNonNull(timeout, what);
        if (timeout.isNegative()) {
            throw new IllegalArgumentException(what + " is negative: " + timeout);
        }
    }
}
