package io.krunctl.virtiofs.fs;

import java.util.Objects;

/**
 * One directory entry as readdir lists it.
 *
 * @param offset the cookie the guest passes back to continue the listing <em>after</em> this entry
 * @param type   {@code d_type}: the file type bits shifted down ({@link Linux#direntType(int)})
 */
public record DirEntry(long inode, long offset, int type, Name name) {
    public DirEntry {
        Objects.requireNonNull(name, "name");
    }
}
