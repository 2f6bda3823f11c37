package io.krunctl.cli;

/**
 * krunctl's exit codes. A workload's own exit code passes through unchanged (0-255, with the guest
 * init's 125 for a setup failure, 126 for a program that cannot run, 127 for one that is missing and
 * 128+N for death by signal N). krunctl's own failures use the BSD {@code sysexits.h} numbers, which
 * sit apart from 125-127 and from the signal range; {@code krunctl(1)} documents the same table.
 */
public final class ExitCodes {
    /** The command line is wrong: unknown option, missing argument. */
    public static final int USAGE = 64;
    /** The spec is invalid: syntax, unknown keys, bad values, missing source files. */
    public static final int SPEC_INVALID = 65;
    /** The spec file cannot be read. */
    public static final int SPEC_UNREADABLE = 66;
    /** A prerequisite is missing: QEMU, the kernel package. */
    public static final int UNAVAILABLE = 69;
    /** The VM failed before the workload reported its exit code, or krunctl itself failed. */
    public static final int VM_FAILED = 70;

    private ExitCodes() {}
}
