package io.krunctl.virtiofs.fs;

/** The guest drops {@code count} references to {@code inode} (taken by lookups it was answered). */
public record Forget(long inode, long count) {
}
