package io.krunctl.vmm.config;

import io.krunctl.virtiofs.fs.CachePolicy;
import java.nio.file.Path;
import java.util.Objects;

/** What the guest's root filesystem is. Each kind is served by krunctl's own virtio-fs device. */
public sealed interface RootConfig {

    /** An empty root: only virtual entries (the init, injected files, mount points) exist in it. */
    record NullFs() implements RootConfig {}

    /**
     * A host directory as the root, served by {@code PassthroughFs} (or {@code PassthroughFsRo}),
     * confined to the directory. Virtual entries (the init, its config, the spec's files) still
     * shadow the directory's files of the same path; nothing of them is written to the directory.
     *
     * @param path     the directory, absolute
     * @param readOnly whether every mutation from the guest answers EROFS
     * @param cache    what the guest kernel may cache
     * @param devices  whether the guest may create block and character device nodes in it
     *                 ({@code PassthroughConfig.deviceNodes}); never with {@code readOnly}
     */
    record Dir(Path path, boolean readOnly, CachePolicy cache, boolean devices) implements RootConfig {
        public Dir {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(cache, "cache");
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("the root directory must be an absolute path: " + path);
            }
            if (readOnly && devices) {
                throw new IllegalArgumentException("a read-only root directory cannot take device nodes: " + path);
            }
        }

        /** Without device nodes, as every root but one a spec opts in ({@code devices: true}). */
        public Dir(Path path, boolean readOnly, CachePolicy cache) {
            this(path, readOnly, cache, false);
        }
    }

    /**
     * A disk image as the root, libkrun's block root with remount: the virtio-fs root device is a
     * NullFs carrying only the init and its mount points, and the init mounts the disk
     * ({@code /dev/vda}) on {@code /newroot}, moves it over {@code /} and chroots into it.
     *
     * @param disk    the image; a read-only one is mounted read-only
     * @param fstype  the filesystem type; empty to let the init try every block filesystem the guest
     *                kernel knows, ext4 first
     * @param options filesystem mount options (mount data such as {@code noatime,commit=60}), or
     *                empty; they travel unquoted on the kernel command line, so no spaces or quotes
     */
    record BlockDevice(Disk disk, java.util.Optional<String> fstype, String options) implements RootConfig {
        public BlockDevice {
            Objects.requireNonNull(disk, "disk");
            Objects.requireNonNull(fstype, "fstype");
            Objects.requireNonNull(options, "options");
        }
    }
}
