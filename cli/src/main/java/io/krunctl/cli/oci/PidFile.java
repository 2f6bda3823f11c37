package io.krunctl.cli.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** {@code --pid-file}: the pid, written whole or not at all (conmon reads it as soon as create exits). */
public final class PidFile {
    private PidFile() {}

    public static void write(Path file, long pid) throws OciException {
        Path absolute = file.toAbsolutePath();
        Path tmp = absolute.resolveSibling("." + absolute.getFileName() + ".krunctl-tmp");
        try {
            Files.writeString(tmp, Long.toString(pid), StandardCharsets.US_ASCII);
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // Nothing more to undo.
            }
            throw new OciException("cannot write the pid file " + file + ": " + e.getMessage(), e);
        }
    }
}
