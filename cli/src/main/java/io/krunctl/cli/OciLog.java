package io.krunctl.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The {@code --log} file of the OCI commands: an engine that passes one reads a failed command's
 * reason from it ({@code --log-format json}: one {@code {"level","msg","time"}} object per line).
 */
final class OciLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciLog() {}

    static void append(Path file, String format, String message) {
        String time = Instant.now().toString();
        String line = "json".equals(format)
                ? JSON.createObjectNode().put("level", "error").put("msg", message).put("time", time).toString()
                : time + " error: " + message;
        try {
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            // The error is on stderr already; a log file that cannot be written costs nothing more.
        }
    }
}
