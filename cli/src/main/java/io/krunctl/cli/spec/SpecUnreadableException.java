package io.krunctl.cli.spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The spec file itself could not be read: it does not exist, is a directory, or is not readable.
 * Its single error has no position and prints as {@code FILE: cannot read spec: REASON}, for
 * example {@code specs/helo.yaml: cannot read spec: No such file or directory}.
 *
 * <p>Kept apart from {@link SpecException}'s other failures so the command line can give it its
 * own exit code (a usage problem, not an invalid spec).
 */
public final class SpecUnreadableException extends SpecException {

    private static final long serialVersionUID = 1L;

    SpecUnreadableException(Path file, String reason, IOException cause) {
        super(List.of(new SpecError(file, 0, 0, "cannot read spec: " + reason)), cause);
    }

    /** The error, which names the file and the reason. */
    public SpecError error() {
        return errors().getFirst();
    }
}
