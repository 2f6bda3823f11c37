package io.krunctl.virtiofs.fs;

import java.util.Locale;

/**
 * How much the guest kernel may cache of a {@link PassthroughFs} tree: names, attributes, file data
 * and directory listings. The spec's {@code cache:} value; {@link #AUTO} by default.
 */
public enum CachePolicy {
    /**
     * Nothing: every open bypasses the guest page cache ({@code FOPEN_DIRECT_IO}), names and
     * attributes are revalidated on every use, no readdirplus. For trees the host changes while the
     * guest runs. Shared writable {@code mmap} of files does not work in the guest under this policy.
     */
    NEVER,
    /**
     * Names and attributes for a short timeout ({@link PassthroughConfig#AUTO_TIMEOUT}); file data in
     * the guest page cache, kept from one open to the next while the host file is unchanged
     * ({@code FOPEN_KEEP_CACHE}, see {@link DataVersion}) and dropped when an open, or a read or
     * getattr after the timeout, sees it changed (FUSE's {@code AUTO_INVAL_DATA}); directory listings
     * too, listed again once the directory's refreshed mtime shows a change (directories are listed
     * without OPENDIR, which makes the kernel cache them); a name found missing for at most a second
     * ({@link PassthroughConfig#negativeTimeout()}).
     */
    AUTO,
    /**
     * Everything for a long timeout: file data is kept across opens ({@code FOPEN_KEEP_CACHE}),
     * directory listings are cached ({@code FOPEN_CACHE_DIR}), symlink targets too, and failed
     * lookups are remembered as long as names. Only for trees the host leaves alone while the guest
     * runs.
     */
    ALWAYS;

    /** The policy named {@code never}, {@code auto} or {@code always} (any case). */
    public static CachePolicy parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown cache policy \"" + name + "\" (never, auto, always)", e);
        }
    }

    /** The spec spelling: {@code never}, {@code auto}, {@code always}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
