package io.krunctl.virtiofs.fs;

/** Where readdirplus puts entries together with their lookup results. */
@FunctionalInterface
public interface DirectoryPlusSink {
    /**
     * Adds one entry with its attributes. The guest counts every entry it receives with a non-zero
     * inode as one lookup (except "." and ".."), exactly like a lookup reply; pass {@link Entry#NONE}
     * to list the name without one. Returns false, adding nothing, once the reply is full: the
     * filesystem must then undo the lookup reference it took for {@code attributes}.
     */
    boolean add(DirEntry entry, Entry attributes);

    /**
     * Whether an entry named {@code name} would still fit. A filesystem asks before it looks the
     * name up, so that a full reply costs no lookup it would have to undo.
     */
    default boolean fits(Name name) {
        return true;
    }
}
