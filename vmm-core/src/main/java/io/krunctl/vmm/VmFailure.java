package io.krunctl.vmm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        Optional<String> panic = panic(consoleLog);
        Optional<String> lockedImage = lockedImage(qemuLog);
        if (lockedImage.isPresent()) {
            // QEMU refused to start: nothing ran, and its own words add nothing to these.
            return "the disk image " + lockedImage.get() + " is in use by another process (another VM?);"
                    + " wait for it to end, or give the disk readOnly: true in both";
        }
        if (deviceFailure instanceof DeviceDisconnected lost) {
            // krunctl stopped a guest that waited on the share: QEMU's and the console's last words
            // are about something else.
            return lost.getMessage() + "; the VM was stopped";
        }
        if (deviceFailure != null) {
            why.append(" (virtio-fs device failed: ").append(deviceFailure.getMessage()).append(')');
        } else if (panic.isPresent() && initFailure(panic.get()).isPresent()) {
            why.append(" (").append(initFailure(panic.get()).get()).append(')');
        } else if (panic.isPresent()) {
            why.append(" (the guest kernel panicked: ").append(panic.get()).append(')');
        } else if (qemuStatus > SIGNAL_BASE && qemuStatus <= SIGNAL_BASE + 64) {
            why.append(" (QEMU was killed by signal ").append(qemuStatus - SIGNAL_BASE).append(')');
        } else if (qemuStatus != 0) {
            why.append(" (QEMU exited with status ").append(qemuStatus).append(')');
        } else {
            shutdownReason.ifPresent(r -> why.append(" (QEMU shutdown reason: ").append(r).append(')'));
        }
        String qemuTail = tail(qemuLog, 5);
        if (!qemuTail.isEmpty()) {
            why.append("; QEMU said: ").append(qemuTail);
        }
        // A panic's register dump says nothing to a user; its reason is above.
        String consoleTail = panic.isPresent() ? "" : tail(consoleLog, 5);
        if (!consoleTail.isEmpty()) {
            why.append("; guest console: ").append(consoleTail);
        }
        if (!consoleKept) {
            why.append("; rerun with --console FILE to keep the whole guest console");
        }
        return why.toString();
    }

    /** What {@link Process#exitValue} answers for a process killed by signal N: 128+N. */
    private static final int SIGNAL_BASE = 128;
    static final String PANIC = "Kernel panic - not syncing: ";

    private static final Pattern LOCKED = Pattern.compile("Is another process using the image \\[(.*)\\]\\?");

    /** The image QEMU could not lock (another QEMU has it open for writing), if that is why it failed. */
    static Optional<String> lockedImage(Path qemuLog) {
        try {
            Matcher m = LOCKED.matcher(new String(Files.readAllBytes(qemuLog), StandardCharsets.UTF_8));
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static final Pattern INIT_FAILED = Pattern.compile("Requested init (\\S+) failed \\(error -(\\d+)\\)");

    /** A panic because the kernel could not execute the init, in words; empty for other panics. */
    static Optional<String> initFailure(String panic) {
        Matcher m = INIT_FAILED.matcher(panic);
        if (!m.find()) {
            return Optional.empty();
        }
        String why = switch (Integer.parseInt(m.group(2))) {
            case 2 -> "it does not exist";
            case 8 -> "it is not an executable for this kernel (ENOEXEC)";
            case 13 -> "permission denied";
            default -> "error " + m.group(2);
        };
        return Optional.of("the guest kernel could not start the init " + m.group(1) + ": " + why);
    }

    /** The reason of the guest kernel's panic, if the console shows one. */
    static Optional<String> panic(Path consoleLog) {
        try {
            String text = new String(Files.readAllBytes(consoleLog), StandardCharsets.UTF_8);
            int at = text.indexOf(PANIC);
            if (at < 0) {
                return Optional.empty();
            }
            int end = text.indexOf('\n', at);
            return Optional.of(text.substring(at + PANIC.length(), end < 0 ? text.length() : end).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
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
