package io.krunctl.vmm.config;

import java.nio.file.Path;
import java.util.Objects;

/** Which kernel boots the guest. */
public sealed interface KernelChoice {

    /**
     * krunctl's own kernel, which {@code make build} builds from Debian's linux-source package
     * ({@code kernel/build.sh}); the distribution's kernel where it has not been built.
     */
    record Own() implements KernelChoice {}

    /** The distribution's cloud kernel, fetched once into the per-user cache. */
    record Distribution() implements KernelChoice {}

    /**
     * A kernel image on the host (an ELF {@code vmlinux} with a PVH note, or a bzImage); with no
     * modules given it must have virtio-pci, virtio-fs and virtio-console built in.
     */
    record HostImage(Path path) implements KernelChoice {
        public HostImage {
            Objects.requireNonNull(path, "path");
        }
    }
}
