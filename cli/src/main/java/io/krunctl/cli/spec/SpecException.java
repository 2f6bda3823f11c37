package io.krunctl.cli.spec;

import java.util.List;
import java.util.Objects;

/**
 * A spec file that cannot become a {@link io.krunctl.vmm.config.VmConfig}: it does not parse as
 * YAML, or it breaks one or more rules of the spec format. {@link #errors()} holds every problem
 * found, in file order (line, then column); each prints as {@code FILE:LINE:COL: MESSAGE}.
 *
 * <p>The one subclass, {@link SpecUnreadableException}, means the file could not be read at all
 * (missing, a directory, no permission); callers that map failures to exit codes catch it first.
 */
public sealed class SpecException extends Exception permits SpecUnreadableException {

    private static final long serialVersionUID = 1L;

    private final transient List<SpecError> errors;

    /**
     * @param errors at least one error, in the order they should be shown
     */
    public SpecException(List<SpecError> errors) {
        this(errors, null);
    }

    SpecException(List<SpecError> errors, Throwable cause) {
        super(joined(errors), cause);
        this.errors = List.copyOf(errors);
    }

    /** Every problem found, in file order; never empty. */
    public List<SpecError> errors() {
        return errors;
    }

    /**
     * Whether the spec file could not be read at all (this is a {@link SpecUnreadableException}),
     * as opposed to read but invalid.
     */
    public boolean unreadable() {
        return this instanceof SpecUnreadableException;
    }

    private static String joined(List<SpecError> errors) {
        Objects.requireNonNull(errors, "errors");
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a SpecException needs at least one error");
        }
        StringBuilder text = new StringBuilder();
        for (SpecError error : errors) {
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(error);
        }
        return text.toString();
    }
}
