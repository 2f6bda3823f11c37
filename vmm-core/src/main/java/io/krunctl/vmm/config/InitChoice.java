package io.krunctl.vmm.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What the root device serves as {@code /init.krun}, the program the guest kernel runs as PID 1
 * (after an initramfs's stage 0, when the kernel needs modules). As libkrun lets a caller disable
 * its implicit init and inject its own, a VM may use another binary or none at all.
 */
public sealed interface InitChoice {

    /**
     * krunctl's bundled init, or the binary the developer variable {@code KRUNCTL_INIT_BINARY_PATH}
     * names.
     */
    record Bundled() implements InitChoice {}

    /** A binary on the host, read when the VM starts, served as {@code /init.krun} for this VM only. */
    record HostFile(Path path) implements InitChoice {
        public HostFile {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * No implicit init: {@code /init.krun} is whatever the VM's {@link VmConfig#files() files} put
     * there (nothing runs without one).
     */
    record Disabled() implements InitChoice {}
}
