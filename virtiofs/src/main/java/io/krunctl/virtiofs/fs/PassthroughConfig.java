package io.krunctl.virtiofs.fs;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link PassthroughFs} serves its tree.
 *
 * @param cache             what the guest may cache ({@link CachePolicy})
 * @param entryTimeout      how long the guest trusts a name it looked up; a name it failed to
 *                          find, see {@link #negativeTimeout()}
 * @param attrTimeout       how long the guest trusts attributes
 * @param writeback         let the guest cache writes and send them later (FUSE
 *                          {@code WRITEBACK_CACHE}): much faster small writes, but the host sees
 *                          data only when the guest flushes it, so only for trees nothing on the host
 *                          writes to while the guest runs. Files are then opened read-write even when
 *                          the guest asks for write-only (the guest kernel reads around partial page
 *                          writes) and without {@code O_APPEND} (the guest kernel positions appends)
 * @param xattr             serve extended attributes; without it the guest's xattr calls fail with
 *                          {@code EOPNOTSUPP}
 * @param announceSubmounts mark directories that are mount points on the host
 *                          ({@code FUSE_ATTR_SUBMOUNT}), so the guest sees them as separate
 *                          filesystems (own {@code st_dev}, EXDEV for renames across them)
 * @param deviceNodes       let the guest create character and block device nodes in the tree. Off,
 *                          mknod of a device answers EPERM (the whiteout device 0:0 overlayfs uses is
 *                          always allowed): a node the guest made for, say, the host's disk would be a
 *                          way in for anyone on the host who can reach the directory, unless it lives
 *                          on a {@code nodev} mount. The guest's own {@code /dev} is a devtmpfs and
 *                          never needs them
 * @param maxDescriptors    the most host descriptors the filesystem holds for its guest (looked-up
 *                          inodes and open files together); beyond, opens answer EMFILE and lookups
 *                          ENFILE (see {@link DescriptorBudget})
 */
public record PassthroughConfig(CachePolicy cache, Duration entryTimeout, Duration attrTimeout, boolean writeback,
        boolean xattr, boolean announceSubmounts, boolean deviceNodes, int maxDescriptors) {

    /** {@link #maxDescriptors} when nothing else is said: the process's own limit is the only one. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    /**
     * virtiofsd's timeout for {@link CachePolicy#AUTO}: a name the host replaces (by rename, say) or
     * attributes it changes reach the guest within a second.
     */
    public static final Duration AUTO_TIMEOUT = Duration.ofSeconds(1);
    /** The longest a name found missing is remembered under {@link CachePolicy#AUTO}. */
    public static final Duration AUTO_NEGATIVE_TIMEOUT = Duration.ofSeconds(1);
    /** virtiofsd's timeout for {@link CachePolicy#ALWAYS}: a day. */
    public static final Duration ALWAYS_TIMEOUT = Duration.ofDays(1);

    public PassthroughConfig {
        Objects.requireNonNull(cache, "cache");
        Entry.requireTimeout(entryTimeout, "entryTimeout");
        Entry.requireTimeout(attrTimeout, "attrTimeout");
        if (maxDescriptors < 1) {
            throw new IllegalArgumentException("maxDescriptors must be at least 1: " + maxDescriptors);
        }
    }

    /**
     * The policy with its usual timeouts (0 for never, 1 s for auto, a day for always), extended
     * attributes and submounts on, no writeback, no device nodes.
     */
    public static PassthroughConfig of(CachePolicy cache) {
        Duration timeout = switch (cache) {
            case NEVER -> Duration.ZERO;
            case AUTO -> AUTO_TIMEOUT;
            case ALWAYS -> ALWAYS_TIMEOUT;
        };
        return new PassthroughConfig(cache, timeout, timeout, false, true, true, false, UNBOUNDED);
    }

    /** {@link #of(CachePolicy) of(AUTO)}. */
    public static PassthroughConfig defaults() {
        return of(CachePolicy.AUTO);
    }

    /**
     * How long the guest may remember that a name does not exist (a negative entry), zero for not at
     * all. Under {@link CachePolicy#AUTO} at most {@link #AUTO_NEGATIVE_TIMEOUT}: programs probe for
     * missing names all the time (the dynamic loader's library path, {@code $PATH}, {@code /etc}
     * files a busybox applet looks for on every start), each probe a round trip to the device unless
     * remembered, while a file the host creates should not stay hidden for the whole entry timeout.
     * The guest's own creations replace a negative entry at once.
     */
    public Duration negativeTimeout() {
        return switch (cache) {
            case NEVER -> Duration.ZERO;
            case AUTO -> entryTimeout.compareTo(AUTO_NEGATIVE_TIMEOUT) < 0 ? entryTimeout : AUTO_NEGATIVE_TIMEOUT;
            case ALWAYS -> entryTimeout;
        };
    }

    public PassthroughConfig withWriteback(boolean on) {
        return new PassthroughConfig(cache, entryTimeout, attrTimeout, on, xattr, announceSubmounts, deviceNodes,
                maxDescriptors);
    }

    public PassthroughConfig withTimeouts(Duration entry, Duration attr) {
        return new PassthroughConfig(cache, entry, attr, writeback, xattr, announceSubmounts, deviceNodes,
                maxDescriptors);
    }

    public PassthroughConfig withXattr(boolean on) {
        return new PassthroughConfig(cache, entryTimeout, attrTimeout, writeback, on, announceSubmounts, deviceNodes,
                maxDescriptors);
    }

    public PassthroughConfig withAnnounceSubmounts(boolean on) {
        return new PassthroughConfig(cache, entryTimeout, attrTimeout, writeback, xattr, on, deviceNodes,
                maxDescriptors);
    }

    public PassthroughConfig withDeviceNodes(boolean on) {
        return new PassthroughConfig(cache, entryTimeout, attrTimeout, writeback, xattr, announceSubmounts, on,
                maxDescriptors);
    }

    public PassthroughConfig withMaxDescriptors(int max) {
        return new PassthroughConfig(cache, entryTimeout, attrTimeout, writeback, xattr, announceSubmounts, deviceNodes,
                max);
    }
}
