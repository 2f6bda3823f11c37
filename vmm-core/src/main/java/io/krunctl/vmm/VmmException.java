package io.krunctl.vmm;

/**
 * A failure to launch or supervise a VM, with a message written for the user: one line that says
 * what went wrong and what to do about it.
 */
public class VmmException extends Exception {

    /** What kind of failure this is; front ends map kinds to their documented exit codes. */
    public enum Kind {
        /** Something krunctl needs is not installed (QEMU, the kernel package, a JDK feature). */
        MISSING_PREREQUISITE,
        /** The configuration names something that cannot be used (an unreadable host file...). */
        BAD_CONFIGURATION,
        /** QEMU or the guest failed before the workload's exit code was known. */
        VM_FAILED,
        /** Another running VM already has the name asked for. */
        NAME_IN_USE,
        /** No running VM has the name given. */
        NO_SUCH_VM
    }

    private final Kind kind;

    public VmmException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public VmmException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
