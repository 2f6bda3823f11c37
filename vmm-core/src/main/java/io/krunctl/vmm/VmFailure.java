package io.krunctl.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The one-line explanation of a VM that ended without reporting the workload's exit code. */
final class VmFailure {
    private VmFailure() {}

    /**
     * What went wrong, most telling first (a failed device, QEMU's exit status or shutdown reason),
     * then the last lines of QEMU's log and of the guest console.
     */
    static String describe(int qemuStatus, Optional<String> shutdownReason, Throwable deviceFailure, Path qemuLog,
            Path consoleLog, boolean consoleKept) {
        StringBuilder why = new StringBuilder("the VM ended without reporting the workload's exit code");
        if (deviceFailure != null) {
            why.append(" (virtio-fs device failed: ").append(deviceFailure.getMessage()).append(')');
        } else if (qemuStatus != 0) {
            why.append(" (QEMU exited with status ").append(qemuStatus).append(')');
        } else {
            shutdownReason.ifPresent(r -> why.append(" (QEMU shutdown reason: ").append(r).append(')'));
        }
        String qemuTail = tail(qemuLog, 5);
        if (!qemuTail.isEmpty()) {
            why.append("; QEMU said: ").append(qemuTail);
        }
        String consoleTail = tail(consoleLog, 5);
        if (!consoleTail.isEmpty()) {
            why.append("; guest console: ").append(consoleTail);
        }
        if (!consoleKept) {
            why.append("; rerun with --console FILE to keep the whole guest console");
        }
        return why.toString();
    }

    /** The last {@code lines} non-empty lines of a log, joined with " | " to keep the error one line. */
    static String tail(Path log, int lines) {
        try {
            // Console output may hold partial UTF-8 or control bytes; decode leniently.
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }
}
