package io.krunctl.vmm.qemu;

import io.krunctl.vmm.VmmException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the {@code qemu-system-x86_64} executable. */
public final class QemuBinary {
    public static final String NAME = "qemu-system-x86_64";
    /** The Debian package that provides {@link #NAME}. */
    public static final String PACKAGE = "qemu-system-x86";

    private QemuBinary() {}

    /**
     * The QEMU to run: {@code KRUNCTL_QEMU} if set, else the first {@link #NAME} on {@code PATH}.
     *
     * @throws VmmException naming the package to install when there is none
     */
    public static Path locate() throws VmmException {
        String override = System.getenv("KRUNCTL_QEMU");
        if (override != null && !override.isBlank()) {
            Path path = Path.of(override);
            if (!Files.isExecutable(path)) {
                throw new VmmException(VmmException.Kind.MISSING_PREREQUISITE,
                        "KRUNCTL_QEMU=" + override + " is not an executable file");
            }
            return path;
        }
        return onPath(System.getenv("PATH")).orElseThrow(() -> new VmmException(
                VmmException.Kind.MISSING_PREREQUISITE,
                NAME + " not found on PATH: install it with `sudo apt-get install " + PACKAGE + "`"));
    }

    static Optional<Path> onPath(String pathVariable) {
        String path = pathVariable == null || pathVariable.isEmpty() ? "/usr/local/bin:/usr/bin:/bin" : pathVariable;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, NAME);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
