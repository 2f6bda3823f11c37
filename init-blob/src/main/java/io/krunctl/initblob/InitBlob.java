package io.krunctl.initblob;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest binaries built from {@code guest/} during the Maven build and bundled here: the init
 * ({@code krun-init}), served to every guest as the one-shot virtual file {@code /init.krun}, and
 * the agent ({@code krun-agent}), served as {@code /.krun_agent} for the init to start beside the
 * workload.
 *
 * <p>Like libkrun's {@code KRUN_INIT_BINARY_PATH}, the environment variables
 * {@value #OVERRIDE_VARIABLE} and {@value #AGENT_OVERRIDE_VARIABLE} point at out-of-tree binaries
 * instead, for guest development without a rebuild.
 */
public final class InitBlob {
    /** Environment variable naming an init binary to use instead of the bundled one. */
    public static final String OVERRIDE_VARIABLE = "KRUNCTL_INIT_BINARY_PATH";
    /** Environment variable naming an agent binary to use instead of the bundled one. */
    public static final String AGENT_OVERRIDE_VARIABLE = "KRUNCTL_AGENT_BINARY_PATH";
    private static final String RESOURCE = "krun-init";
    private static final String AGENT_RESOURCE = "krun-agent";

    private InitBlob() {}

    /**
     * The init binary's bytes: the override if {@value #OVERRIDE_VARIABLE} is set, else the bundled
     * build.
     *
     * @throws UncheckedIOException if the override cannot be read or the build bundled no binary
     */
    public static byte[] bytes() {
        return overridden(OVERRIDE_VARIABLE, RESOURCE);
    }

    /** The init binary bundled at build time, ignoring any override. */
    public static byte[] bundled() {
        return resource(RESOURCE);
    }

    /**
     * The agent binary's bytes: the override if {@value #AGENT_OVERRIDE_VARIABLE} is set, else the
     * bundled build.
     *
     * @throws UncheckedIOException if the override cannot be read or the build bundled no binary
     */
    public static byte[] agentBytes() {
        return overridden(AGENT_OVERRIDE_VARIABLE, AGENT_RESOURCE);
    }

    /** The agent binary bundled at build time, ignoring any override. */
    public static byte[] bundledAgent() {
        return resource(AGENT_RESOURCE);
    }

    private static byte[] overridden(String variable, String resource) {
        String override = System.getenv(variable);
        if (override != null && !override.isEmpty()) {
            try {
                return Files.readAllBytes(Path.of(override));
            } catch (IOException e) {
                throw new UncheckedIOException(
                        variable + "=" + override + " cannot be read: " + e.getMessage(), e);
            }
        }
        return resource(resource);
    }

    private static byte[] resource(String name) {
        try (InputStream in = InitBlob.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("the " + name
                        + " binary is missing from the build; rebuild with `make build`"));
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
