package io.krunctl.virtiofs.fs;

/**
 * The answer to open/opendir/create: the filesystem's handle for the open file (echoed back in every
 * later request on it) and FOPEN_* flags that tell the guest how to cache it.
 */
public record OpenResult(long handle, int openFlags) {
    /** Bypass the guest page cache for this open file. */
    public static final int DIRECT_IO = 1;
    /** Keep the guest's cached pages from earlier opens. */
    public static final int KEEP_CACHE = 1 << 1;
    /** The file is not seekable. */
    public static final int NONSEEKABLE = 1 << 2;
    /** Allow the guest to cache this directory's listing. */
    public static final int CACHE_DIR = 1 << 3;
    /** The file is a stream: no file position at all. */
    public static final int STREAM = 1 << 4;
}
