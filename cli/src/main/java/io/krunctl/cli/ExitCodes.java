package io.krunctl.cli;

import java.util.List;

/**
 * krunctl's exit codes, and the one table that documents them. A workload's own exit code passes
 * through unchanged (0-255, with the guest init's 125 for a setup failure, 126 for a program that
 * cannot run, 127 for one that is missing and 128+N for death by signal N). krunctl's own failures
 * use the BSD {@code sysexits.h} numbers, which sit apart from 125-127 and from the signal range.
 *
 * <p>{@link #TABLE} is the source of every place the codes are written down: the "Exit codes"
 * section of {@code krunctl --help} and of each command's help, and the EXIT STATUS section of
 * {@code krunctl(1)} and the command pages, which are generated from it; a test checks that every
 * constant here has a row.
 */
public final class ExitCodes {
    /** Success: the workload exited 0, or a command other than {@code run} did its job. */
    public static final int OK = 0;
    /**
     * An OCI runtime command failed (an unknown container, a wrong state, a config.json that cannot
     * be honoured), as runc and crun exit; the reason is the one line on stderr.
     */
    public static final int OCI_FAILED = 1;
    /** The command line is wrong: unknown option, missing argument, a malformed {@code --set}. */
    public static final int USAGE = 64;
    /** The spec is invalid: syntax, unknown keys, bad values, missing source files. */
    public static final int SPEC_INVALID = 65;
    /** The spec file cannot be read. */
    public static final int SPEC_UNREADABLE = 66;
    /** exec: no running VM has the name given. */
    public static final int NO_SUCH_VM = 68;
    /** A prerequisite is missing: QEMU, the kernel package. */
    public static final int UNAVAILABLE = 69;
    /** init-binary: the output file exists (without {@code --force}) or cannot be written. */
    public static final int CANT_CREATE = 73;
    /** The VM failed before the workload reported its exit code, or krunctl itself failed. */
    public static final int VM_FAILED = 70;
    /**
     * {@code run --timeout} ran out, whatever the workload then did, as with {@code timeout(1)}.
     * It is also a code a workload may exit with itself; the message on stderr tells them apart.
     */
    public static final int TIMED_OUT = io.krunctl.vmm.Vm.TIMED_OUT;

    /** Prints {@code failure}'s one line on {@code err} and answers its exit code. */
    static int reported(java.io.PrintWriter err, io.krunctl.vmm.VmmException failure) {
        err.println("krunctl: " + failure.getMessage());
        err.flush();
        return of(failure.kind());
    }

    /** The exit code of a failure of {@code kind}. */
    static int of(io.krunctl.vmm.VmmException.Kind kind) {
        return switch (kind) {
            case MISSING_PREREQUISITE -> UNAVAILABLE;
            case BAD_CONFIGURATION -> SPEC_INVALID;
            case VM_FAILED -> VM_FAILED;
            case NAME_IN_USE -> USAGE;
            case NO_SUCH_VM -> NO_SUCH_VM;
        };
    }

    /**
     * One row of the table.
     *
     * @param codes    the code, or a range such as {@code 0-255}
     * @param meaning  one sentence
     * @param commands the commands that can exit with it; empty for all of them
     */
    public record Row(String codes, String meaning, List<String> commands) {
        public Row {
            commands = List.copyOf(commands);
        }

        /** Whether {@code command} ({@code ""} for krunctl itself) can exit with these codes. */
        public boolean appliesTo(String command) {
            return command.isEmpty() || commands.isEmpty() || commands.contains(command);
        }
    }

    /** The exit codes, in order. */
    public static final List<Row> TABLE = List.of(
            new Row(String.valueOf(OK),
                    "Success: every spec is valid (validate), the output is written (schema, completion, help,"
                            + " init-binary),"
                            + " the OCI operation is done (create, start, state, kill, delete, exec --detach,"
                            + " features).",
                    List.of("validate", "schema", "completion", "help", "create", "start", "state", "kill", "delete",
                            "exec", "features", "init-binary")),
            new Row("0-255",
                    "run: the workload's own exit code, passed through; the guest init reports 125 for a setup"
                            + " failure, 126 for a program that cannot be executed, 127 for one that does not"
                            + " exist and 128+N for death by signal N. 128+N also when krunctl stopped the VM"
                            + " hard after signal N (a second SIGINT or SIGTERM, or --stop-timeout).",
                    List.of("run")),
            new Row("0-255",
                    "exec: the process's own exit code, passed through: 128+N for death by signal N, 127 for a"
                            + " program that does not exist, 126 for one that cannot be executed, 125 when the"
                            + " process could not be started or reached (a bad working directory or user, an agent"
                            + " that does not answer).",
                    List.of("exec")),

            new Row(String.valueOf(OCI_FAILED),
                    "OCI runtime: the container does not exist or is in the wrong state for the operation, its"
                            + " config.json cannot be honoured in a VM, or the VM could not be set up; nothing was"
                            + " changed. The reason is on stderr (and in the --log file).",
                    List.of("create", "start", "state", "delete", "kill", "exec")),
            new Row(String.valueOf(USAGE),
                    "Usage error: an unknown option, a missing argument, a malformed --set, or a --name that a"
                            + " running VM already has.",
                    List.of()),
            new Row(String.valueOf(SPEC_INVALID),
                    "A spec is invalid; each error is printed as FILE:LINE:COLUMN: MESSAGE.",
                    List.of("run", "validate")),
            new Row(String.valueOf(SPEC_UNREADABLE),
                    "A spec file cannot be read (missing, a directory, no permission).",
                    List.of("run", "validate")),
            new Row(String.valueOf(NO_SUCH_VM),
                    "exec: no running VM has that name (krunctl ps lists them).",
                    List.of("exec")),
            new Row(String.valueOf(UNAVAILABLE),
                    "A prerequisite is missing, such as QEMU (package qemu-system-x86) or the kernel package.",
                    List.of("run")),
            new Row(String.valueOf(CANT_CREATE),
                    "init-binary: the output file already exists (give --force to replace it) or cannot be"
                            + " written.",
                    List.of("init-binary")),
            new Row(String.valueOf(VM_FAILED),
                    "The VM failed before the workload reported its exit code, or krunctl failed internally.",
                    List.of()),
            new Row(String.valueOf(TIMED_OUT),
                    "run --timeout ran out: the workload was sent SIGTERM, and the VM was stopped hard if the"
                            + " workload did not exit within --stop-timeout; the same code as the timeout command's.",
                    List.of("run")));

    /** The rows that apply to a command ({@code ""} for all of them). */
    public static List<Row> forCommand(String command) {
        return TABLE.stream().filter(r -> r.appliesTo(command)).toList();
    }

    private ExitCodes() {}
}
