package io.krunctl.virtiofs.fs;

/** A POSIX record lock, as {@code struct fuse_file_lock} carries it. */
public record FileLock(long start, long end, int type, int pid) {
}
