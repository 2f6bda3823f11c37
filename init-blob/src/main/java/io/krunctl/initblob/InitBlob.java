package io.krunctl.initblob;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest init binary ({@code krun-init}, built from {@code guest/} during the Maven build and
 * bundled here), served to every guest as the one-shot virtual file {@code /init.krun}.
 *
 * <p>Like libkrun's {@code KRUN_INIT_BINARY_PATH}, the environment variable
 * {@value #OVERRIDE_VARIABLE} points at an out-of-tree binary instead, for init development without
 * a rebuild.
 */
public final class InitBlob {
    /** Environment variable naming an init binary to use instead of the bundled one. */
    public static final String OVERRIDE_VARIABLE = "KRUNCTL_INIT_BINARY_PATH";
    private static final String RESOURCE = "krun-init";

    private InitBlob() {}

    /**
     * The init binary's bytes: the override if {@value #OVERRIDE_VARIABLE} is set, else the bundled
     * build.
     *
     * @throws UncheckedIOException if the override cannot be read or the build bundled no binary
     */
    public static byte[] bytes() {
        String override = System.getenv(OVERRIDE_VARIABLE);
        if (override != null && !override.isEmpty()) {
            try {
                return Files.readAllBytes(Path.of(override));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        OVERRIDE_VARIABLE + "=" + override + " cannot be read: " + e.getMessage(), e);
            }
        }
        return bundled();
    }

    /** The binary bundled at build time, ignoring any override. */
    public static byte[] bundled() {
        try (InputStream in = InitBlob.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException(
                        "the init binary is missing from the build; rebuild with `make build`"));
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
