package io.krunctl.vmm.kernel;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A kernel ready to boot.
 *
 * @param image   what QEMU gets with {@code -kernel}: an ELF {@code vmlinux} carrying the PVH entry
 *                note, or (only for a user-given kernel whose payload krunctl cannot extract) the
 *                bzImage itself
 * @param modules the {@code .ko} files the guest must load before it can mount its root, in load
 *                order (dependencies first); empty for a kernel with the drivers built in
 * @param release the kernel release ({@code uname -r}), or {@code "unknown"} when it cannot be read
 */
public record BootKernel(Path image, List<Path> modules, String release) {

    /** What a release read back from a cache file must look like before it names a directory. */
    static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]*");

    public BootKernel {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(release, "release");
        modules = List.copyOf(modules);
    }
}
