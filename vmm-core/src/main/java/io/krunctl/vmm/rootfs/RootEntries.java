package io.krunctl.vmm.rootfs;

import io.krunctl.virtiofs.fs.VirtualEntry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the tree of virtual entries injected into the root device: the guest init, its config, the
 * mount points a NullFs root needs, and the spec's files with every missing parent directory.
 */
public final class RootEntries {
    /** Directories the init mounts kernel filesystems on; a NullFs root has nothing else to offer. */
    public static final java.util.List<String> MOUNT_POINTS = java.util.List.of("dev", "proc", "sys");
    private static final int DIR_MODE = 0755;

    private final Dir root = new Dir();

    /** Adds a file at {@code absolutePath}, creating virtual parent directories as needed. */
    public RootEntries file(String absolutePath, byte[] data, int mode, boolean oneShot) {
        String[] parts = split(absolutePath);
        Dir dir = root;
        for (int i = 0; i < parts.length - 1; i++) {
            dir = dir.subdirectory(parts[i], absolutePath);
        }
        String leaf = parts[parts.length - 1];
        if (dir.children.containsKey(leaf)) {
            throw new IllegalArgumentException(absolutePath + " is given twice or is also a directory");
        }
        dir.children.put(leaf, VirtualEntry.file(data, mode, oneShot));
        return this;
    }

    /** Adds an empty directory at {@code absolutePath} (no error if it exists as a directory). */
    public RootEntries directory(String absolutePath) {
        Dir dir = root;
        for (String part : split(absolutePath)) {
            dir = dir.subdirectory(part, absolutePath);
        }
        return this;
    }

    /** The root's children, ready for {@code AugmentFs}. */
    public Map<String, VirtualEntry> build() {
        return root.toEntries();
    }

    private static String[] split(String absolutePath) {
        if (!absolutePath.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute path: " + absolutePath);
        }
        String[] parts = absolutePath.substring(1).split("/");
        for (String part : parts) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("not a normalized path: " + absolutePath);
            }
        }
        return parts;
    }

    /** A directory under construction: insertion-ordered children, either files or directories. */
    private static final class Dir {
        final Map<String, Object> children = new LinkedHashMap<>();

        Dir subdirectory(String name, String forPath) {
            Object existing = children.computeIfAbsent(name, n -> new Dir());
            if (existing instanceof Dir d) {
                return d;
            }
            throw new IllegalArgumentException(forPath + " needs " + name + " to be a directory, but it is a file");
        }

        Map<String, VirtualEntry> toEntries() {
            Map<String, VirtualEntry> out = new LinkedHashMap<>();
            children.forEach((name, child) -> out.put(name, child instanceof Dir d
                    ? VirtualEntry.directory(d.toEntries(), DIR_MODE)
                    : (VirtualEntry) child));
            return out;
        }
    }
}
