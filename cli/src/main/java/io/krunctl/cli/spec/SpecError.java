package io.krunctl.cli.spec;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One problem found in a spec file, at a 1-based line and column.
 *
 * <p>{@link #toString()} is the compiler-style line users see: {@code FILE:LINE:COL: MESSAGE},
 * where {@code FILE} is the path exactly as the user gave it (never made absolute). A problem that
 * belongs to the whole file rather than to a place in it (the file cannot be read) has line and
 * column 0 and prints as {@code FILE: MESSAGE}.
 *
 * @param file    the spec file, as the user named it
 * @param line    1-based line, or 0 when the problem has no position
 * @param column  1-based column (in Unicode code points), or 0 when the problem has no position
 * @param message one line: what is wrong and, where it helps, what would be right
 */
public record SpecError(Path file, int line, int column, String message) {

    public SpecError {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(message, "message");
        if (line < 0 || column < 0 || (line == 0) != (column == 0)) {
            throw new IllegalArgumentException("bad position " + line + ":" + column);
        }
        if (message.indexOf('\n') >= 0 || message.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a spec error message is one line: " + message);
        }
    }

    /** Whether this error points at a place in the file (line and column are not 0). */
    public boolean hasPosition() {
        return line != 0;
    }

    /** {@code FILE:LINE:COL: MESSAGE}, or {@code FILE: MESSAGE} for a problem without position. */
    @Override
    public String toString() {
        return hasPosition()
                ? file + ":" + line + ":" + column + ": " + message
                : file + ": " + message;
    }
}
