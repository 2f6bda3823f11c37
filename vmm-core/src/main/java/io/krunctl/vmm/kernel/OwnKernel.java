package io.krunctl.vmm.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * krunctl's own guest kernel, which {@code kernel/build.sh} builds (from {@code make build}) into the
 * cache: {@code kernel/own/current} names the entry, {@code kernel/own/<key>/} holds its
 * {@code vmlinux} (virtio-pci, virtio-fs, virtio-console, virtio-blk, virtio-net built in) and its
 * {@code release}. The script renames an entry into place only when it is complete and rewrites
 * {@code current} by rename, so a reader sees a whole entry or none.
 */
public final class OwnKernel {

    static final String DIR = "own";
    static final String CURRENT = "current";
    private static final Pattern KEY = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern RELEASE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+~-]*");

    private OwnKernel() {}

    /**
     * The kernel the last successful build left in {@code cacheDir} ({@code ~/.cache/krunctl}); empty
     * when none was built (or the cache entry is gone). Reads two small files, starts nothing.
     */
    public static Optional<BootKernel> find(Path cacheDir) {
        Path own = cacheDir.resolve("kernel").resolve(DIR);
        try {
            String key = Files.readString(own.resolve(CURRENT), StandardCharsets.US_ASCII).strip();
            if (!KEY.matcher(key).matches()) {
                return Optional.empty();
            }
            Path entry = own.resolve(key);
            Path vmlinux = entry.resolve("vmlinux");
            if (!Files.isRegularFile(vmlinux)) {
                return Optional.empty();
            }
            String release = readRelease(entry.resolve("release"));
            return Optional.of(new BootKernel(vmlinux, List.of(), release));
        } catch (IOException e) {
            return Optional.empty(); // no build yet, or an unreadable cache: both mean "not built"
        }
    }

    private static String readRelease(Path file) {
        try {
            String r = Files.readString(file, StandardCharsets.US_ASCII).strip();
            return RELEASE.matcher(r).matches() ? r : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }
}
