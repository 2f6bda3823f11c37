package io.krunctl.virtiofs.fs;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A file or directory that exists only in the device, not on the host: the injected init, its config,
 * mount points on an empty root. {@link AugmentFs} serves them above another filesystem.
 *
 * <p>{@link #mode()} holds permission bits only; the type comes from the variant. A one-shot entry
 * can be looked up once: it is meant to be read by the guest init once and then be gone.
 */
public sealed interface VirtualEntry permits VirtualEntry.File, VirtualEntry.Directory {

    /** Permission bits (07777); any file type bits given are dropped. */
    int mode();

    boolean oneShot();

    /**
     * A read-only regular file. {@code data} is read from every worker thread, so it must not be a
     * confined segment; its bytes must not change while the device runs.
     */
    record File(MemorySegment data, int mode, boolean oneShot) implements VirtualEntry {
        public File {
            data = data.asReadOnly();
            mode &= Linux.PERMISSION_BITS;
        }
    }

    /** A read-only directory holding more virtual entries, keyed by name (a single path component). */
    record Directory(Map<String, VirtualEntry> children, int mode, boolean oneShot) implements VirtualEntry {
        public Directory {
            TreeMap<String, VirtualEntry> sorted = new TreeMap<>();
            children.forEach((name, child) -> {
                if (!Name.of(name).isPathComponent()) {
                    throw new IllegalArgumentException("not a single path component: \"" + name + "\"");
                }
                sorted.put(name, Objects.requireNonNull(child, name));
            });
            children = Collections.unmodifiableMap(sorted);
            mode &= Linux.PERMISSION_BITS;
        }
    }

    /** A file holding a copy of {@code data}. */
    static File file(byte[] data, int mode, boolean oneShot) {
        return new File(MemorySegment.ofArray(data.clone()), mode, oneShot);
    }

    /** A persistent directory. */
    static Directory directory(Map<String, VirtualEntry> children, int mode) {
        return new Directory(children, mode, false);
    }
}
