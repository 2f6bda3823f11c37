package io.krunctl.vmm.config;

import io.krunctl.virtiofs.fs.CachePolicy;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A filesystem the guest init mounts once the root is set up, in the order given (a mount inside
 * another comes after it). Its destination always exists on the root device: missing directories
 * appear there as virtual ones (so a read-only root needs no mount points of its own) and existing
 * ones are left as they are. A destination inside another mount is created by the init
 * ({@code mkdir -p}) in that filesystem.
 */
public sealed interface MountConfig {

    /** Where it is mounted in the guest: absolute, normalized, never {@code /}. */
    String destination();

    /**
     * A host directory shared with the guest through a virtio-fs device of its own.
     *
     * @param source      the host directory, absolute
     * @param destination where the guest sees it
     * @param readOnly    whether every mutation answers EROFS (the guest also mounts it read-only)
     * @param cache       what the guest kernel may cache
     * @param devices     whether the guest may create block and character device nodes in it
     *                    ({@code PassthroughConfig.deviceNodes}); never with {@code readOnly}
     * @param files       read-only virtual files overlaid on the directory without changing it, at guest
     *                    paths inside {@code destination}
     */
    record VirtioFs(Path source, String destination, boolean readOnly, CachePolicy cache, boolean devices,
            List<VirtualFile> files)
            implements MountConfig {
        public VirtioFs {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(cache, "cache");
            if (!source.isAbsolute()) {
                throw new IllegalArgumentException("a virtio-fs mount's source must be an absolute path: " + source);
            }
            requireDestination(destination);
            if (readOnly && devices) {
                throw new IllegalArgumentException("a read-only share cannot take device nodes: " + destination);
            }
            files = List.copyOf(files);
            for (VirtualFile f : files) {
                if (!f.guestPath().startsWith(destination + "/")) {
                    throw new IllegalArgumentException("a file of the mount on " + destination + " must lie inside it: "
                            + f.guestPath());
                }
            }
        }

        /** A shared directory without device nodes or anything overlaid. */
        public VirtioFs(Path source, String destination, boolean readOnly, CachePolicy cache) {
            this(source, destination, readOnly, cache, false, List.of());
        }

        /** Where {@code file} lies inside the shared directory: its guest path less the destination. */
        public String pathInShare(VirtualFile file) {
            return file.guestPath().substring(destination.length());
        }
    }

    /**
     * A tmpfs: guest memory, gone with the VM.
     *
     * @param destination where the guest sees it
     * @param sizeBytes   its size limit; the kernel's default (half the guest's RAM) when empty
     */
    record Tmpfs(String destination, OptionalLong sizeBytes) implements MountConfig {
        public Tmpfs {
            Objects.requireNonNull(sizeBytes, "sizeBytes");
            requireDestination(destination);
            if (sizeBytes.isPresent() && sizeBytes.getAsLong() <= 0) {
                throw new IllegalArgumentException("a tmpfs size must be positive: " + sizeBytes.getAsLong());
            }
        }
    }

    private static void requireDestination(String destination) {
        Objects.requireNonNull(destination, "destination");
        if (!destination.startsWith("/") || destination.equals("/") || destination.endsWith("/")
                || destination.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a mount destination must be an absolute guest path other than /: "
                    + destination);
        }
        for (String part : destination.substring(1).split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw new IllegalArgumentException("a mount destination must be a normalized path: " + destination);
            }
        }
    }
}
