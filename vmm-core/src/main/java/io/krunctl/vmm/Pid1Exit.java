package io.krunctl.vmm;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exit code of a workload the init ran as PID 1 ({@code process.pid1}), which reports none
 * itself: when PID 1 exits, the guest kernel panics with "Attempted to kill init!
 * exitcode=0xSTATUS", STATUS being the wait status; a workload that powers the VM off or reboots
 * it (QEMU's shutdown reasons {@code guest-shutdown} and {@code guest-reset}) ended as it meant to.
 */
final class Pid1Exit {
    private static final Pattern KILLED_INIT = Pattern.compile("Attempted to kill init! exitcode=0x([0-9a-fA-F]{1,8})");

    private Pid1Exit() {}

    /**
     * @param console        the guest console's text, where the kernel writes its panic
     * @param shutdownReason the reason of QEMU's last SHUTDOWN event
     * @return the shell's code for the workload's end (its status, or 128+N for signal N); empty when
     *         neither says how it ended
     */
    static OptionalInt code(String console, Optional<String> shutdownReason) {
        Matcher m = KILLED_INIT.matcher(console);
        if (m.find()) {
            int status = (int) Long.parseLong(m.group(1), 16);
            int signal = status & 0x7f;
            return OptionalInt.of(signal == 0 ? (status >> 8) & 0xff : 128 + signal);
        }
        if (console.contains(VmFailure.PANIC)) {
            // Another panic ends with the same reset; it is a failure VmFailure describes.
            return OptionalInt.empty();
        }
        if (shutdownReason.filter(r -> r.equals("guest-shutdown") || r.equals("guest-reset")).isPresent()) {
            return OptionalInt.of(0);
        }
        return OptionalInt.empty();
    }
}
