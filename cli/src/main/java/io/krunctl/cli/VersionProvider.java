package io.krunctl.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Reads the version Maven wrote into {@code version.properties} at build time. */
public final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() throws IOException {
        return versionLine().split("\n");
    }

    /**
     * {@code krunctl version VERSION} and, as runc and crun print it for container engines
     * ({@code podman info} shows it), the runtime-spec version, on a second line.
     */
    static String versionLine() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Fall through to "unknown": a version line is never worth failing for.
        }
        return "krunctl version " + p.getProperty("version", "unknown") + "\nspec: 1.0.2";
    }
}
