package io.krunctl.virtiofs.fs;

import java.util.Objects;

/** The answer to create: the new inode and the open file on it. */
public record Created(Entry entry, OpenResult open) {
    public Created {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(open, "open");
    }
}
