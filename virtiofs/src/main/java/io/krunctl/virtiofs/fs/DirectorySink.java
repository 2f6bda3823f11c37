package io.krunctl.virtiofs.fs;

/** Where readdir puts entries: the reply buffer, which has room for only so many. */
@FunctionalInterface
public interface DirectorySink {
    /**
     * Adds one entry. Returns false, adding nothing, once the reply is full; the filesystem then stops
     * and the guest asks again from the last offset it received.
     */
    boolean add(DirEntry entry);
}
